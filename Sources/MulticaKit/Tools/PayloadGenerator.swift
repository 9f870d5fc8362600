import Foundation

/// Builds realistic payloads for the 21 catalog types (SPEC §5): valid enums, ids made
/// by `Identifier.make` (`iss_…`, `usr_…`, …), RFC 3339 timestamps, and a recipient
/// for the personal `inbox:*` types.
public struct PayloadGenerator: Sendable {
    public var workspaceID: String
    /// Recipient of generated `inbox:*` events; a fresh `usr_…` id when nil.
    public var recipientID: String?

    public static let issueStatuses = ["backlog", "todo", "in_progress", "in_review", "done", "blocked", "cancelled"]
    public static let priorities = ["urgent", "high", "medium", "low", "none"]
    public static let agentStatuses = ["idle", "working", "blocked", "error", "offline"]
    public static let taskStatuses = ["queued", "dispatched", "running", "completed", "failed", "cancelled"]
    public static let commentTypes = ["comment", "status_change", "progress_update", "system"]
    public static let severities = ["action_required", "attention", "info"]
    public static let inboxTypes = ["issue_assigned", "status_change", "mentioned", "review_requested", "agent_blocked"]
    public static let roles = ["owner", "admin", "member"]

    private static let verbs = ["Fix", "Add", "Refactor", "Document", "Investigate", "Speed up", "Remove", "Migrate"]
    private static let subjects = ["login redirect", "webhook retries", "search indexing", "billing export",
                                   "dark mode", "rate limiter", "onboarding flow", "CSV import", "audit log", "agent sandbox"]
    private static let names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Ken Thompson", "Radia Perlman"]

    public init(workspaceID: String, recipientID: String? = nil) {
        self.workspaceID = workspaceID
        self.recipientID = recipientID
    }

    /// A payload for `type`, or nil for a custom type (those need `--payload`).
    public func payload(for type: EventType) -> RawJSONObject? {
        guard let value = value(for: type) else { return nil }
        // JSONValue objects are dictionaries; the encoder sorts keys, so output is stable.
        return try? RawJSONObject(encoding: value)
    }

    public func value(for type: EventType) -> JSONValue? {
        let now = Date()
        switch type {
        case .issueCreated, .issueUpdated: return .object(["issue": issue(now)])
        case .issueDeleted: return .object(["issue_id": .string(Identifier.make("iss"))])
        case .commentCreated, .commentUpdated: return .object(["comment": comment(now)])
        case .commentDeleted:
            return .object(["comment_id": .string(Identifier.make("cmt")), "issue_id": .string(Identifier.make("iss"))])
        case .agentCreated, .agentStatus: return .object(["agent": agent(now)])
        case .agentDeleted:
            return .object(["agent_id": .string(Identifier.make("agt")), "workspace_id": .string(workspaceID)])
        case .taskDispatch:
            return .object([
                "task_id": .string(Identifier.make("tsk")), "agent_id": .string(Identifier.make("agt")),
                "issue_id": .string(Identifier.make("iss")), "priority": .int(Int64.random(in: 0...4)),
                "status": .string("dispatched"), "dispatched_at": .string(Timestamp.format(now)),
            ])
        case .taskProgress:
            let total = Int64.random(in: 3...10)
            return .object([
                "task_id": .string(Identifier.make("tsk")), "summary": .string("Running step: \(Self.pick(Self.subjects))"),
                "step": .int(Int64.random(in: 1...total)), "total": .int(total),
            ])
        case .taskCompleted, .taskFailed:
            return .object([
                "task_id": .string(Identifier.make("tsk")), "agent_id": .string(Identifier.make("agt")),
                "issue_id": .string(Identifier.make("iss")),
                "status": .string(type == .taskCompleted ? "completed" : "failed"),
            ])
        case .inboxNew: return .object(["item": inboxItem(now)])
        case .inboxRead, .inboxArchived:
            return .object(["item_id": .string(Identifier.make("inb")), "recipient_id": .string(recipient())])
        case .workspaceUpdated:
            let name = "\(Self.pick(["Acme", "Globex", "Initech", "Umbrella", "Hooli"])) \(Self.pick(["Platform", "Mobile", "Core", "Growth"]))"
            return .object([
                "workspace": .object([
                    "id": .string(workspaceID), "name": .string(name), "slug": .string(Self.slug(name)),
                    "description": .string("Synthetic workspace update"), "settings": .object([:]),
                    "created_at": .string(Timestamp.format(now.addingTimeInterval(-86_400 * 30))),
                    "updated_at": .string(Timestamp.format(now)),
                ]),
            ])
        case .memberAdded:
            let name = Self.pick(Self.names)
            return .object([
                "member": .object([
                    "id": .string(Identifier.make("mem")), "workspace_id": .string(workspaceID),
                    "user_id": .string(Identifier.make("usr")), "role": .string(Self.pick(Self.roles)),
                    "created_at": .string(Timestamp.format(now)), "name": .string(name),
                    "email": .string(Self.slug(name).replacingOccurrences(of: "-", with: ".") + "@example.com"),
                ]),
            ])
        case .memberRemoved:
            return .object([
                "member_id": .string(Identifier.make("mem")), "workspace_id": .string(workspaceID),
                "user_id": .string(Identifier.make("usr")),
            ])
        case .daemonRegister:
            return .object([
                "daemon_id": .string(Identifier.make("dmn")), "hostname": .string("runner-\(Int.random(in: 1...99))"),
                "version": .string(MulticaKitVersion.string), "agents": .array([.string(Identifier.make("agt"))]),
                "registered_at": .string(Timestamp.format(now)),
            ])
        case .daemonHeartbeat:
            return .object([
                "daemon_id": .string(Identifier.make("dmn")), "running_tasks": .int(Int64.random(in: 0...4)),
                "ts": .string(Timestamp.format(now)),
            ])
        default:
            return nil
        }
    }

    private func recipient() -> String { recipientID ?? Identifier.make("usr") }

    private func issue(_ now: Date) -> JSONValue {
        let agentAssignee = Bool.random()
        let title = "\(Self.pick(Self.verbs)) \(Self.pick(Self.subjects))"
        return .object([
            "id": .string(Identifier.make("iss")), "workspace_id": .string(workspaceID),
            "title": .string(title), "description": .string("Synthetic issue: \(title.lowercased())."),
            "status": .string(Self.pick(Self.issueStatuses)), "priority": .string(Self.pick(Self.priorities)),
            "assignee_type": .string(agentAssignee ? "agent" : "member"),
            "assignee_id": .string(Identifier.make(agentAssignee ? "agt" : "usr")),
            "creator_type": .string("member"), "creator_id": .string(Identifier.make("usr")),
            "parent_issue_id": .null,
            "acceptance_criteria": .array([.string("Covered by a test"), .string("Documented in the changelog")]),
            "context_refs": .array([]),
            "position": .double((Double.random(in: 0..<1000) * 4).rounded() / 4 + 0.5),
            "due_date": Bool.random() ? .string(Timestamp.format(now.addingTimeInterval(86_400 * 7))) : .null,
            "created_at": .string(Timestamp.format(now.addingTimeInterval(-3_600))),
            "updated_at": .string(Timestamp.format(now)),
        ])
    }

    private func comment(_ now: Date) -> JSONValue {
        .object([
            "id": .string(Identifier.make("cmt")), "issue_id": .string(Identifier.make("iss")),
            "author_type": .string(Self.pick(["member", "agent"])), "author_id": .string(Identifier.make("usr")),
            "content": .string("Looked into \(Self.pick(Self.subjects)); a fix is on the way."),
            "type": .string(Self.pick(Self.commentTypes)),
            "created_at": .string(Timestamp.format(now)), "updated_at": .string(Timestamp.format(now)),
        ])
    }

    private func agent(_ now: Date) -> JSONValue {
        .object([
            "id": .string(Identifier.make("agt")), "workspace_id": .string(workspaceID),
            "name": .string(Self.pick(["Triage Bot", "Release Helper", "Docs Writer", "Test Fixer"])),
            "description": .string("Synthetic agent"), "avatar_url": .null,
            "runtime_mode": .string(Self.pick(["local", "cloud"])),
            "visibility": .string(Self.pick(["workspace", "private"])),
            "status": .string(Self.pick(Self.agentStatuses)), "max_concurrent_tasks": .int(Int64.random(in: 1...4)),
            "owner_id": .string(Identifier.make("usr")), "skills": .string("triage, code review"),
            "tools": .array([.string("git"), .string("shell")]), "triggers": .array([]),
            "created_at": .string(Timestamp.format(now.addingTimeInterval(-86_400))),
            "updated_at": .string(Timestamp.format(now)),
        ])
    }

    private func inboxItem(_ now: Date) -> JSONValue {
        let title = "New issue assigned: \(Self.pick(Self.verbs)) \(Self.pick(Self.subjects))"
        return .object([
            "id": .string(Identifier.make("inb")), "workspace_id": .string(workspaceID),
            "recipient_type": .string("member"), "recipient_id": .string(recipient()),
            "type": .string(Self.pick(Self.inboxTypes)), "severity": .string(Self.pick(Self.severities)),
            "issue_id": .string(Identifier.make("iss")), "title": .string(title), "body": .null,
            "read": .bool(false), "archived": .bool(false), "created_at": .string(Timestamp.format(now)),
        ])
    }

    private static func pick(_ values: [String]) -> String { values.randomElement()! }

    private static func slug(_ name: String) -> String {
        name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { $0.append($1) }
    }
}
