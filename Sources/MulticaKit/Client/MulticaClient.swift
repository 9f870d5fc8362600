import Foundation

/// The typed operations of the multica REST API (SPEC §6), on `MulticaHTTPClient`.
public struct MulticaClient: Sendable {
    public let http: MulticaHTTPClient
    /// Most events one `POST /api/events` may carry.
    public static let maxBatch = 1000
    /// Most events one `GET /api/events` returns.
    public static let maxPage = 1000

    public init(http: MulticaHTTPClient) { self.http = http }

    public init(server: ServerAddress, token: String?, timeout: Duration = .seconds(10)) {
        self.http = MulticaHTTPClient(server: server, token: token, timeout: timeout)
    }

    // MARK: Workspaces

    public func createWorkspace(name: String, slug: String? = nil, description: String? = nil) async throws(ClientError) -> Received<Workspace> {
        var body: [String: JSONValue] = ["name": .string(name)]
        if let slug { body["slug"] = .string(slug) }
        if let description { body["description"] = .string(description) }
        return try decode(try await http.post("/api/workspaces", json: Self.encode(body)))
    }

    public func listWorkspaces() async throws(ClientError) -> Received<[Workspace]> {
        try decode(try await http.get("/api/workspaces"))
    }

    public func showWorkspace(_ id: String) async throws(ClientError) -> Received<Workspace> {
        try decode(try await http.get("/api/workspaces/\(ServerAddress.escape(id))"))
    }

    public func deleteWorkspace(_ id: String) async throws(ClientError) {
        _ = try await http.delete("/api/workspaces/\(ServerAddress.escape(id))")
    }

    // MARK: Members

    public func addMember(workspaceID: String, userID: String, role: String? = nil) async throws(ClientError) -> Received<Member> {
        var body: [String: JSONValue] = ["user_id": .string(userID)]
        if let role { body["role"] = .string(role) }
        return try decode(try await http.post("/api/workspaces/\(ServerAddress.escape(workspaceID))/members", json: Self.encode(body)))
    }

    /// `memberOrUserID` is a member id or a user id; the server accepts both.
    public func removeMember(workspaceID: String, memberOrUserID: String) async throws(ClientError) {
        _ = try await http.delete("/api/workspaces/\(ServerAddress.escape(workspaceID))/members/\(ServerAddress.escape(memberOrUserID))")
    }

    public func listMembers(workspaceID: String) async throws(ClientError) -> Received<[Member]> {
        try decode(try await http.get("/api/workspaces/\(ServerAddress.escape(workspaceID))/members"))
    }

    // MARK: Events

    /// Publishes one event with the object form, or several with the array form (one
    /// transaction; at most `maxBatch`). Returns what the server assigned, in order,
    /// each with the exact bytes of its answer object.
    public func publishEvents(_ events: [OutgoingEvent], asArray: Bool? = nil) async throws(ClientError) -> [Received<PublishedEvent>] {
        precondition(!events.isEmpty && events.count <= Self.maxBatch, "1…\(Self.maxBatch) events per request")
        var body: [UInt8] = []
        body.reserveCapacity(events.reduce(64) { $0 + $1.payload.bytes.count + 96 })
        if !(asArray ?? (events.count > 1)) {
            events[0].append(to: &body)
            let response = try await http.post("/api/events", json: body)
            return [try Self.publishedEvent(response.body, range: 0..<response.body.count)]
        }
        body.append(UInt8(ascii: "["))
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            event.append(to: &body)
        }
        body.append(UInt8(ascii: "]"))
        let response = try await http.post("/api/events", json: body)
        let elements = try Self.arrayMember("events", of: response.body)
        guard elements.count == events.count else {
            throw .protocolError("the server acknowledged \(elements.count) of \(events.count) events")
        }
        var published: [Received<PublishedEvent>] = []
        published.reserveCapacity(elements.count)
        for range in elements { published.append(try Self.publishedEvent(response.body, range: range)) }
        return published
    }

    /// One page of the durable log: events with `seq > since`, ascending.
    public func listEvents(workspaceID: String, since: Int64 = 0, limit: Int = 100) async throws(ClientError) -> EventPage {
        let path = "/api/events?workspace_id=\(ServerAddress.escape(workspaceID))&since=\(since)&limit=\(limit)"
        let body = try await http.get(path).body
        let members: [JSONScanner.Member]
        do { members = try JSONScanner.objectMembers(body) } catch {
            throw .protocolError("malformed answer from \(http.server.url(path)): \(error)")
        }
        func int(_ key: String) -> Int64? {
            members.first { $0.key == key }.flatMap { Int64(String(decoding: body[$0.valueRange], as: UTF8.self)) }
        }
        var events: [ReceivedEvent] = []
        for range in try Self.arrayMember("events", of: body) {
            do { events.append(try ReceivedEvent(raw: Array(body[range]))) } catch {
                throw .protocolError("malformed event from \(http.server.url(path)): \(error)")
            }
        }
        return EventPage(events: events, headSeq: int("head_seq") ?? events.last?.envelope.seq ?? since,
                         lowestRetainedSeq: int("lowest_retained_seq") ?? 1)
    }

    // MARK: Helpers

    static func encode(_ object: [String: JSONValue]) -> [UInt8] {
        (try? Array(EventJSON.encoder.encode(JSONValue.object(object)))) ?? Array("{}".utf8)
    }

    private func decode<T: Decodable & Sendable>(_ response: ClientResponse) throws(ClientError) -> Received<T> {
        do {
            return Received(value: try EventJSON.decoder.decode(T.self, from: Data(response.body)), raw: response.body)
        } catch {
            throw .protocolError("unexpected answer from the server: \(error)")
        }
    }

    /// Byte ranges of the elements of the array member `key` of a JSON object.
    static func arrayMember(_ key: String, of body: [UInt8]) throws(ClientError) -> [Range<Int>] {
        do {
            let members = try JSONScanner.objectMembers(body)
            guard let member = members.first(where: { $0.key == key }) else {
                throw ClientError.protocolError("the server's answer has no '\(key)'")
            }
            let slice = Array(body[member.valueRange])
            let offset = member.valueRange.lowerBound
            return try JSONScanner.arrayElements(slice).map { ($0.lowerBound + offset)..<($0.upperBound + offset) }
        } catch let error as ClientError {
            throw error
        } catch {
            throw .protocolError("malformed answer from the server: \(error)")
        }
    }

    static func publishedEvent(_ body: [UInt8], range: Range<Int>) throws(ClientError) -> Received<PublishedEvent> {
        let raw = Array(body[range])
        do {
            return Received(value: try EventJSON.decoder.decode(PublishedEvent.self, from: Data(raw)), raw: raw)
        } catch {
            throw .protocolError("unexpected publish answer: \(String(decoding: raw.prefix(200), as: UTF8.self))")
        }
    }
}
