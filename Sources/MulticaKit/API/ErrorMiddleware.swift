import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error a handler throws into a `{"error": "…"}` JSON response with a
/// fitting status (SPEC §6), so no route ever answers with an HTML page or a
/// framework-specific error shape. Unknown errors are logged and answered 500
/// without their details.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let (status, message) = Self.classify(error)
            if status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            if let error = error as? APIError, let current = error.current {
                return JSONResponse.error(status, message, current: current)
            }
            return JSONResponse.error(status, message)
        }
    }

    static func classify(_ error: any Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let error as APIError:
            return (error.status, error.message)
        case let error as EventAppendFailed:
            // A log that cannot take the events because the disk is full (or the file
            // cannot be written) is the storage being unavailable, not a bug: 503, as
            // for any other write the database refuses for that reason (SPEC §6).
            if case StorageError.unavailable = error.underlying { return (.serviceUnavailable, "storage unavailable") }
            return (.internalServerError, "internal error")
        case let error as StorageError:
            switch error {
            case .notFound(let what): return (.notFound, "\(what) not found")
            case .conflict(let message): return (.conflict, message)
            case .invalid(let message): return (.badRequest, message)
            case .unavailable: return (.serviceUnavailable, "storage unavailable")
            }
        case let error as any HTTPResponseError:
            switch error.status {
            case .contentTooLarge: return (.contentTooLarge, "request body too large")
            case .notFound: return (.notFound, "not found")
            default: return (error.status, error.status.reasonPhrase.lowercased())
            }
        default:
            return (.internalServerError, "internal error")
        }
    }
}

/// JSON responses built by hand, so their bytes are exactly what we intend.
enum JSONResponse {
    static func error(_ status: HTTPResponse.Status, _ message: String, current: [UInt8]? = nil) -> Response {
        var body: [UInt8] = Array(#"{"error":"#.utf8)
        JSONString.append(message, to: &body)
        if let current {
            body.append(contentsOf: #","current":"#.utf8)
            body.append(contentsOf: current)
        }
        body.append(UInt8(ascii: "}"))
        return bytes(body, status: status)
    }

    static func bytes(_ body: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        bytes(try JSONCoding.encode(value), status: status)
    }
}
