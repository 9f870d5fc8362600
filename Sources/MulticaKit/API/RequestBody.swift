import Foundation
import Hummingbird

/// Reads and decodes JSON request bodies with a size cap and errors that name the
/// field at fault (400) or the size (413). Nothing is read past the cap.
enum RequestBody {
    /// The cap for ordinary resource bodies.
    static let defaultLimit = 1024 * 1024

    static func bytes(_ request: Request, limit: Int = defaultLimit) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: limit)
        return Array(buffer.readableBytesView)
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = defaultLimit) async throws -> T {
        try decode(type, from: try await bytes(request, limit: limit))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard !bytes.isEmpty else { throw APIError.badRequest("request body required") }
        do {
            try JSONScanner.validate(bytes)
        } catch {
            throw APIError.badRequest("malformed JSON: \(error)")
        }
        do {
            return try EventJSON.decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIError.badRequest(describe(error))
        } catch let error as APIError {
            throw error
        }
    }

    /// "field 'status': unknown value 'doing'" and the like.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let names = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "body" : "field '\(names.joined(separator: ".").replacingOccurrences(of: ".[", with: "["))'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), got null"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "invalid request body"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a string"
        }
    }
}

/// Decodes a `String`-backed enum with an error that lists the allowed values.
struct StrictEnum<E: RawRepresentable & CaseIterable & Sendable>: Decodable, Sendable where E.RawValue == String {
    let value: E

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = E(rawValue: raw) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown value '\(raw)' (expected one of: \(allowed))")
        }
        self.value = value
    }
}
