/// `publish` frames of a WebSocket (SPEC §7), under exactly the rules of
/// `POST /api/events`: the event is parsed by the same code, the caller must be a member
/// of the socket's workspace (checked inside the unit of work), the payload is stored
/// and relayed byte for byte, and the event is synthetic.
///
/// Threading: `publish` parses on the caller's thread (the socket's event loop) and
/// submits one unit of work without waiting; the publisher's FIFO queue keeps one
/// socket's publishes, and so its acks, in frame order. Each is paced by the socket's
/// own workspace (one FIFO for all of its publishes): while most sockets of that
/// workspace are behind, publishes queue unanswered, and past 1,000 unacked the socket
/// stops being read.
struct SocketEventPublisher: SocketPublishing {
    let publisher: EventPublisher

    func publish(event bytes: [UInt8], from identity: SocketIdentity, completion: @escaping @Sendable (PublishReply) -> Void) {
        let caller = Principal(userID: identity.userID, email: nil, name: nil, isAdmin: identity.isAdmin)
        let event: NewEvent
        do {
            event = try EventRoutes.parse(bytes, fieldPrefix: "event.", actor: caller, socketWorkspace: identity.workspaceID)
            if event.workspaceID.isEmpty, !caller.isAdmin {
                throw APIError.forbidden("only a server admin may publish events of no workspace")
            }
        } catch {
            return completion(Self.reply(error))
        }
        publisher.submit({ unit in
            try unit.requireMemberships(of: [event.workspaceID], caller)
            unit.append(event)
        }, pacedBy: identity.workspaceID) { result in
            switch result {
            case .success(let committed):
                let stored = committed.events[0]
                completion(.ack(seq: stored.seq, id: stored.id))
            case .failure(let error):
                completion(Self.reply(error))
            }
        }
    }

    /// The status and message an HTTP request would have got.
    private static func reply(_ error: any Error) -> PublishReply {
        let (status, message) = ErrorMiddleware<MulticaRequestContext>.classify(error)
        return .error(status: Int(status.code), message: message)
    }
}
