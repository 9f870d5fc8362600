import Foundation

/// The checks computed from what the sockets recorded.
extension IsolationRun {
    typealias Records = [ObjectIdentifier: IsolationProbe.Record]

    static let foreignName = "no foreign event"
    static let deliveryName = "own events exactly once, in seq order"
    static let inboxName = "inbox only to its recipient"
    static let removalName = "removed member closed with 4003"
    static let resumeName = "resume with since"

    /// (a) No socket got an event of another workspace.
    func foreignCheck(_ records: [(IsolationProbe, IsolationProbe.Record)]) -> IsolationCheck {
        var violations: [String] = []
        var deliveries = 0
        for (probe, record) in records {
            deliveries += record.events.count
            for event in record.events where !event.workspaceID.isEmpty && event.workspaceID != probe.workspaceID {
                violations.append("\(describe(event)) reached \(probe.name)")
            }
        }
        guard let first = violations.first else {
            return .pass(Self.foreignName, "\(deliveries) deliveries to \(records.count) sockets, none from another workspace")
        }
        return .fail(Self.foreignName, "leak: \(first)" + (violations.count > 1 ? " (and \(violations.count - 1) more foreign deliveries)" : ""))
    }

    /// (b) Every event routed to a socket arrived once, in `seq` order (per workspace stream).
    func ownEventsCheck(_ records: Records, wait: WaitOutcome) -> IsolationCheck {
        var problems: [String] = []
        var checked = 0
        for probe in mainProbes + [leaverProbe].compactMap({ $0 }) {
            guard let record = records[ObjectIdentifier(probe)] else { continue }
            let own = record.events.filter { $0.workspaceID.isEmpty || $0.workspaceID == probe.workspaceID }
            var counts: [Key: Int] = [:]
            var last: [String: Int64] = [:]
            for event in own {
                counts[Key(workspaceID: event.workspaceID, seq: event.seq), default: 0] += 1
                if let previous = last[event.workspaceID], event.seq <= previous {
                    problems.append("\(probe.name) got \(describe(event)) after seq \(previous)")
                }
                last[event.workspaceID] = max(last[event.workspaceID] ?? 0, event.seq)
            }
            for (key, count) in counts where count > 1 {
                let type = own.first { $0.workspaceID == key.workspaceID && $0.seq == key.seq }?.type.rawValue ?? "event"
                problems.append("\(probe.name) got \(type) seq \(key.seq) of \(describe(workspace: key.workspaceID)) \(count) times")
            }
            for event in published where Self.routes(event, toWorkspace: probe.workspaceID, user: probe.userID) {
                checked += 1
                if counts[Key(workspaceID: event.workspaceID, seq: event.seq)] == nil {
                    problems.append("\(probe.name) never got \(describe(event))")
                }
            }
        }
        guard let first = problems.first else {
            return .pass(Self.deliveryName, "\(checked) expected deliveries to \(mainProbes.count + 1) sockets, each once and in order")
        }
        let prefix: String
        switch wait {
        case .complete: prefix = ""
        case .timedOut: prefix = "timed out after \(waitText): "
        case .stalled: prefix = "nothing more arrived for \(ClientError.format(Self.seconds(quietPeriod)))s: "
        }
        return .fail(Self.deliveryName, prefix + first + (problems.count > 1 ? " (and \(problems.count - 1) more problems)" : ""))
    }

    /// (d) `inbox:*` events reached their recipient's sockets and nobody else's.
    func inboxCheck(_ records: [(IsolationProbe, IsolationProbe.Record)], main: Records) -> IsolationCheck {
        var problems: [String] = []
        for (probe, record) in records {
            for event in record.events where event.type.isPersonal && event.recipientID != probe.userID {
                problems.append("\(describe(event)), addressed to \(event.recipientID ?? "nobody"), reached \(probe.name)")
            }
        }
        let inbox = published.filter { $0.type.isPersonal }
        for probe in mainProbes {
            guard let record = main[ObjectIdentifier(probe)] else { continue }
            let got = Set(record.events.map { Key(workspaceID: $0.workspaceID, seq: $0.seq) })
            for event in inbox where event.workspaceID == probe.workspaceID && event.recipient == probe.userID {
                if !got.contains(Key(workspaceID: event.workspaceID, seq: event.seq)) {
                    problems.append("\(describe(event)) never reached its recipient's \(probe.name)")
                }
            }
        }
        guard let first = problems.first else {
            return .pass(Self.inboxName, "\(inbox.count) inbox events, each seen only by its recipient's sockets")
        }
        return .fail(Self.inboxName, first + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""))
    }

    /// (e) Removing a member through the REST API closes their socket with 4003, and
    /// nothing published afterwards reaches it; reconnecting is refused.
    func removalCheck() async -> IsolationCheck {
        guard let leaver, let probe = leaverProbe, let tenant = tenants.first else {
            return .fail(Self.removalName, "no removable member was set up")
        }
        do {
            try await tenant.owner.client.removeMember(workspaceID: tenant.id, memberOrUserID: leaver.id)
        } catch {
            return .fail(Self.removalName, "DELETE /api/workspaces/\(tenant.id)/members/\(leaver.id) failed: \(error)")
        }
        let closed = await IsolationProbe.poll(until: deadline) { probe.record.closure != nil }
        let after: [Published]
        do {
            after = try await publish([Planned(type: .issueUpdated, recipient: nil), Planned(type: .inboxNew, recipient: leaver.id)],
                                      in: tenant.id, as: tenant.owner)
        } catch {
            return .fail(Self.removalName, "cannot publish after the removal: \(error)")
        }
        // The remaining members must see the later workspace event: then it was delivered.
        let marker = after[0].seq
        let witnesses = mainProbes.filter { $0.workspaceID == tenant.id }
        let delivered = await IsolationProbe.poll(until: deadline) {
            witnesses.allSatisfy { $0.record.events.contains { $0.workspaceID == tenant.id && $0.seq == marker } }
        }
        try? await Task.sleep(for: options.settle)

        let record = probe.record
        let removal = witnesses.first?.record.events.first {
            $0.type == .memberRemoved && !$0.synthetic && $0.workspaceID == tenant.id && $0.payload.string("user_id") == leaver.id
        }
        if let late = record.events.first(where: { event in after.contains { $0.workspaceID == event.workspaceID && $0.seq == event.seq } }) {
            return .fail(Self.removalName, "after the removal, \(describe(late)) reached \(probe.name)")
        }
        if let removal, let late = record.events.first(where: { $0.workspaceID == tenant.id && $0.seq > removal.seq }) {
            return .fail(Self.removalName, "after \(describe(removal)), \(describe(late)) reached \(probe.name)")
        }
        guard closed, let closure = record.closure else {
            return .fail(Self.removalName, "timed out after \(waitText): \(probe.name) was not closed after its removal")
        }
        guard closure.code == CloseCode.membershipRevoked.rawValue else {
            return .fail(Self.removalName, "\(probe.name) was closed with \(closure), expected code 4003")
        }
        if !delivered {
            return .fail(Self.removalName, "timed out after \(waitText) waiting for the remaining members to get \(describe(after[0]))")
        }
        let refusal = await refusal(token: leaver.token, workspaceID: tenant.id, status: 403, message: Self.notMemberMessage)
        if let refusal { return .fail(Self.removalName, "reconnecting after the removal: \(refusal)") }
        let seen = removal.map { "after \(describe($0)); " } ?? ""
        return .pass(Self.removalName, "closed with 4003 \(seen)none of the \(after.count) later events reached it; reconnect refused with 403")
    }

    /// (f) A socket that reconnects with `since` = the last seq it saw gets exactly
    /// the events published while it was away (routing applied).
    func resumeCheck() async -> IsolationCheck {
        guard let tenant = tenants.last, let probe = mainProbes.first(where: { $0.workspaceID == tenant.id }) else {
            return .fail(Self.resumeName, "no socket to resume")
        }
        let before = probe.record
        let since = before.events.filter { $0.workspaceID == tenant.id }.map(\.seq).max() ?? before.hello?.headSeq ?? 0
        probe.close()
        _ = await IsolationProbe.poll(until: deadline) { probe.record.closure != nil }
        let user = tenant.users.first { $0.id == probe.userID } ?? tenant.owner
        let other = tenant.users.first { $0.id != user.id } ?? tenant.member
        let plan: [Planned] = [
            Planned(type: .issueUpdated, recipient: nil), Planned(type: .commentCreated, recipient: nil),
            Planned(type: .inboxNew, recipient: user.id), Planned(type: .agentStatus, recipient: nil),
            Planned(type: .inboxNew, recipient: other.id), Planned(type: .taskProgress, recipient: nil),
        ]
        let missed: [Published]
        do { missed = try await publish(plan, in: tenant.id, as: tenant.owner) } catch {
            return .fail(Self.resumeName, "cannot publish while the socket is away: \(error)")
        }
        let expected = missed.filter { Self.routes($0, toWorkspace: tenant.id, user: user.id) }.map(\.seq)
        let resumed: IsolationProbe
        do {
            resumed = try await connect("\(probe.name) (resumed after seq \(since))", user: user, tenant: tenant, since: since)
        } catch {
            return .fail(Self.resumeName, "cannot reconnect with since=\(since): \(error)")
        }
        let complete = await IsolationProbe.poll(until: deadline) {
            Set(expected).isSubset(of: Set(resumed.record.events.filter { $0.workspaceID == tenant.id }.map(\.seq)))
        }
        try? await Task.sleep(for: options.settle)
        let record = resumed.record
        let got = record.events.filter { $0.workspaceID == tenant.id }.map(\.seq)
        if got == expected {
            if record.hello?.recovered == false { return .fail(Self.resumeName, "the hello said recovered:false for since=\(since)") }
            return .pass(Self.resumeName, "reconnected with since=\(since): got exactly the \(expected.count) missed events (seq \(Self.list(expected)))")
        }
        let missing = expected.filter { !got.contains($0) }
        let extra = got.filter { !expected.contains($0) }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing seq \(Self.list(missing))") }
        if !extra.isEmpty {
            let named = extra.prefix(3).compactMap { seq in record.events.first { $0.workspaceID == tenant.id && $0.seq == seq }.map(describe) }
            parts.append("unexpected \(named.joined(separator: ", "))")
        }
        if missing.isEmpty && extra.isEmpty { parts.append("out of order or duplicated: got seq \(Self.list(got))") }
        let prefix = complete ? "" : "timed out after \(waitText): "
        return .fail(Self.resumeName, prefix + "since=\(since) expected seq \(Self.list(expected)); " + parts.joined(separator: "; "))
    }

    static func list(_ seqs: [Int64]) -> String { seqs.map(String.init).joined(separator: ",") }
}
