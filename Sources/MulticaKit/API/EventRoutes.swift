import Foundation
import Hummingbird

/// `GET /api/events` (the durable history) and `POST /api/events` (synthetic
/// publish, one event or a batch of up to 1,000 in one transaction).
///
/// Synthetic payloads are never decoded: the scanner validates the body and hands
/// back the byte range of each `payload`, which is stored and relayed as it came.
struct EventRoutes {
    let api: APIContext

    static let maxBatch = 1000
    static let maxPayloadBytes = 64 * 1024
    static let maxBodyBytes = maxBatch * (maxPayloadBytes + 512)
    static let maxPageSize = 1000

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/api/events") { request, context in try await list(request, context) }
        router.post("/api/events") { request, context in try await publish(request, context) }
    }

    private func list(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let query = request.uri.queryParameters
        let workspace = query["workspace_id"].map(String.init) ?? request.headers.value(of: RequestWorkspace.header) ?? ""
        guard !workspace.isEmpty else { throw APIError.badRequest("workspace_id is required") }
        let since = try Self.integer(query["since"].map(String.init), name: "since", default: 0, range: 0...Int64.max)
        let limit = try Self.integer(query["limit"].map(String.init), name: "limit", default: 100, range: 1...Int64(Self.maxPageSize))
        try await api.access.canRead(workspace, caller)
        let bounds = try await api.eventLog.bounds(workspace: workspace)
        let events = try await api.eventLog.events(workspace: workspace, since: since, limit: Int(limit))
            .filter { !$0.type.isPersonal || $0.recipientID == caller.userID }
        var body: [UInt8] = Array(#"{"events":["#.utf8)
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: event.frame())
        }
        body.append(contentsOf: #"],"head_seq":\#(bounds.head),"lowest_retained_seq":\#(bounds.lowestRetained)}"#.utf8)
        return JSONResponse.bytes(body)
    }

    private func publish(_ request: Request, _ context: MulticaRequestContext) async throws -> Response {
        let caller = try context.caller()
        let bytes = try await RequestBody.bytes(request, limit: Self.maxBodyBytes)
        guard let first = bytes.first(where: { !$0.isJSONWhitespace }) else { throw APIError.badRequest("request body required") }
        let isBatch = first == UInt8(ascii: "[")
        let ranges: [Range<Int>]
        do {
            ranges = isBatch ? try JSONScanner.arrayElements(bytes) : [0..<bytes.count]
        } catch {
            throw APIError.badRequest("malformed JSON: \(error)")
        }
        guard !ranges.isEmpty else { throw APIError.badRequest("an empty batch publishes nothing") }
        guard ranges.count <= Self.maxBatch else { throw APIError.badRequest("a batch holds at most \(Self.maxBatch) events") }
        var events: [NewEvent] = []
        events.reserveCapacity(ranges.count)
        for (index, range) in ranges.enumerated() {
            let prefix = isBatch ? "[\(index)]." : ""
            events.append(try Self.parse(Array(bytes[range]), fieldPrefix: prefix, actor: caller))
        }
        let workspaces = events.count == 1 ? [events[0].workspaceID] : Array(Set(events.map { $0.workspaceID }))
        if workspaces.contains(""), !caller.isAdmin {
            throw APIError.forbidden("only a server admin may publish events of no workspace")
        }
        // Paced after the commit, like every other route (`unit`'s default): while the
        // workspace's sockets are behind, the answer waits, not the event. A request
        // held before its commit waited with its event, and that wait counted in the
        // event's delivery latency, whatever the queues held: with 128 publishing
        // connections and 1,000 sockets (Benchmarks/overload.sh), 128 held events ÷ the
        // readers' 945 events/s made a floor of 135 ms, and the delivery p50 was 245–266
        // ms, against 178–184 ms this way with the same lag limit (alternated runs).
        // Each waiting connection has one event in the sockets' queues instead, and
        // `RoomPressure` lets the waiting answers go a few at a time.
        let batch = events
        let stored = try await api.publisher.unit { unit in
            try unit.requireMemberships(of: workspaces, caller)
            for event in batch { unit.append(event) }
        }.events
        var body: [UInt8] = isBatch ? Array(#"{"events":["#.utf8) : []
        for (index, event) in stored.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: #"{"id":"#.utf8)
            JSONString.append(event.id, to: &body)
            body.append(contentsOf: #","seq":\#(event.seq),"type":"#.utf8)
            JSONString.append(event.type.rawValue, to: &body)
            body.append(contentsOf: #","workspace_id":"#.utf8)
            JSONString.append(event.workspaceID, to: &body)
            body.append(UInt8(ascii: "}"))
        }
        if isBatch { body.append(contentsOf: "]}".utf8) }
        return JSONResponse.bytes(body, status: .created)
    }

    /// One `{type, workspace_id, payload}` object. With `socketWorkspace` (a socket's
    /// publish frame) `workspace_id` may be left out, and if given must be that workspace.
    static func parse(_ bytes: [UInt8], fieldPrefix: String, actor: Principal, socketWorkspace: String? = nil) throws -> NewEvent {
        let members: [JSONScanner.Member]
        do {
            members = try JSONScanner.objectMembers(bytes)
        } catch {
            // An object with a syntax error inside is named with its line and column.
            if bytes.first(where: { !$0.isJSONWhitespace }) == UInt8(ascii: "{") { throw APIError.badRequest("malformed JSON: \(error)") }
            throw APIError.badRequest("\(fieldPrefix.isEmpty ? "body" : "field '\(fieldPrefix.dropLast())'") must be a JSON object")
        }
        func field(_ name: String) -> ArraySlice<UInt8>? { members.first { $0.key == name }.map { bytes[$0.valueRange] } }
        func string(_ name: String) throws -> String {
            guard let raw = field(name) else { throw APIError.badRequest("field '\(fieldPrefix)\(name)' is required") }
            guard let value = JSONScanner.decodeString(raw) else {
                throw APIError.badRequest("field '\(fieldPrefix)\(name)': expected a string")
            }
            return value
        }
        let typeName = try string("type")
        guard let type = EventType(rawValue: typeName) else {
            throw APIError.badRequest(
                "field '\(fieldPrefix)type': unknown event type '\(typeName)' (a catalog type, or family:name of a-z, 0-9, _ outside the catalog families)"
            )
        }
        let workspace: String
        if field("workspace_id") == nil, type.isWorkspaceless {
            workspace = ""
        } else if field("workspace_id") == nil, let socketWorkspace {
            workspace = socketWorkspace
        } else {
            workspace = try string("workspace_id")
            if let socketWorkspace, workspace != socketWorkspace {
                throw APIError.badRequest("field '\(fieldPrefix)workspace_id' must be the socket's workspace")
            }
        }
        if type.isWorkspaceless != workspace.isEmpty {
            throw APIError.badRequest(
                type.isWorkspaceless
                    ? "field '\(fieldPrefix)workspace_id': \(type) events have no workspace"
                    : "field '\(fieldPrefix)workspace_id' must not be empty"
            )
        }
        guard let payload = field("payload") else { throw APIError.badRequest("field '\(fieldPrefix)payload' is required") }
        guard payload.first == UInt8(ascii: "{") else {
            throw APIError.badRequest("field '\(fieldPrefix)payload': expected a JSON object")
        }
        guard payload.count <= maxPayloadBytes else {
            throw APIError(.contentTooLarge, "field '\(fieldPrefix)payload' is over \(maxPayloadBytes / 1024) KiB")
        }
        return NewEvent(
            type: type, workspaceID: workspace, actorType: .member, actorID: actor.userID,
            payload: RawJSONObject(trusted: Array(payload)), synthetic: true
        )
    }

    static func integer(_ raw: String?, name: String, default value: Int64, range: ClosedRange<Int64>) throws -> Int64 {
        guard let raw else { return value }
        guard let number = Int64(raw), range.contains(number) else {
            throw APIError.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}

extension UInt8 {
    var isJSONWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}
