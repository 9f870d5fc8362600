/// `events list`: pages through `GET /api/events` in ascending `seq`.
public struct EventHistory: Sendable {
    public let client: MulticaClient

    public init(client: MulticaClient) { self.client = client }

    /// Delivers events with `seq > since` whose type passes `filter`, at most `limit`
    /// of them. `gap` is told when the log no longer holds `since + 1 … lowest - 1`.
    public func read(
        workspaceID: String, since: Int64 = 0, limit: Int? = nil, filter: TypeFilter = TypeFilter([]),
        gap: (_ from: Int64, _ to: Int64) -> Void, event deliver: (ReceivedEvent) -> Void
    ) async throws(ClientError) {
        var cursor = since
        var delivered = 0
        var first = true
        while true {
            var pageSize = MulticaClient.maxPage
            if let limit, filter.globs.isEmpty { pageSize = min(pageSize, limit - delivered) }
            let page = try await client.listEvents(workspaceID: workspaceID, since: cursor, limit: pageSize)
            if first, page.lowestRetainedSeq > cursor + 1, page.headSeq > cursor {
                gap(cursor + 1, page.lowestRetainedSeq - 1)
            }
            first = false
            for event in page.events {
                cursor = max(cursor, event.envelope.seq)
                guard filter.matches(event.envelope.type.rawValue) else { continue }
                deliver(event)
                delivered += 1
                if let limit, delivered >= limit { return }
            }
            if page.events.isEmpty || cursor >= page.headSeq { return }
        }
    }
}
