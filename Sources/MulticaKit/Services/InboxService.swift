/// The inbox triggers of SPEC §6 as pure functions: given what changed and who did
/// it, the inbox items to create (each carries its recipient). Handlers store them
/// and publish one `inbox:new` per item.
///
/// Decisions where the table is silent:
/// - Agents get no inbox items: the inbox is a member's UI, and agents get their work
///   through `task:dispatch`. A row whose recipient is an agent yields nothing.
/// - Rows without an "if not the actor" clause are applied literally: a member who
///   creates an issue assigned to themself, or assigns it to themself, still gets the
///   `issue_assigned` item; the assignee gets `status_change` even when they made the
///   change. Only the old-assignee, creator and comment rows exclude the actor.
/// - Status changes made by the task lifecycle (start → in_progress, complete →
///   in_review) are not "status actually changed" triggers: those transitions have
///   their own rows (review requested / agent blocked) and the daemon is the actor.
/// - When one update changes both the assignee and the status, the assignee items come
///   first, then the status items (the new assignee may get both).
/// - `S` in "T moved to S" is the wire value of the status (`in_progress`).
public enum InboxService {
    public static func issueCreated(_ issue: Issue, actor: String) -> [NewInboxItem] {
        guard let recipient = memberAssignee(issue) else { return [] }
        return [item(issue, to: recipient, type: "issue_assigned", .actionRequired, "New issue assigned: \(issue.title)")]
    }

    public static func issueUpdated(from old: Issue, to new: Issue, actor: String) -> [NewInboxItem] {
        var items: [NewInboxItem] = []
        let assigneeChanged = old.assigneeType != new.assigneeType || old.assigneeID != new.assigneeID
        if assigneeChanged {
            if let previous = memberAssignee(old), previous != actor {
                items.append(item(new, to: previous, type: "status_change", .info, "Unassigned from: \(new.title)"))
            }
            if let next = memberAssignee(new) {
                items.append(item(new, to: next, type: "issue_assigned", .actionRequired, "Assigned to you: \(new.title)"))
            }
        }
        if old.status != new.status {
            let title = "\(new.title) moved to \(new.status.rawValue)"
            let assignee = memberAssignee(new)
            if let assignee {
                items.append(item(new, to: assignee, type: "status_change", .info, title))
            }
            if new.creatorType == .member, new.creatorID != actor, new.creatorID != assignee {
                items.append(item(new, to: new.creatorID, type: "status_change", .info, title))
            }
        }
        return items
    }

    public static func commentAdded(_ comment: Comment, on issue: Issue) -> [NewInboxItem] {
        guard let assignee = memberAssignee(issue), assignee != comment.authorID else { return [] }
        return [item(issue, to: assignee, type: "mentioned", .info, "New comment on: \(issue.title)")]
    }

    public static func taskCompleted(issue: Issue) -> [NewInboxItem] {
        guard issue.creatorType == .member else { return [] }
        return [item(issue, to: issue.creatorID, type: "review_requested", .attention, "Review requested: \(issue.title)")]
    }

    public static func taskFailed(issue: Issue, error: String? = nil) -> [NewInboxItem] {
        guard issue.creatorType == .member else { return [] }
        var blocked = item(issue, to: issue.creatorID, type: "agent_blocked", .actionRequired, "Agent blocked: \(issue.title)")
        blocked.body = error
        return [blocked]
    }

    /// The user id of the issue's assignee when that is a member.
    static func memberAssignee(_ issue: Issue) -> String? {
        issue.assigneeType == .member ? issue.assigneeID : nil
    }

    private static func item(
        _ issue: Issue, to recipient: String, type: String, _ severity: InboxSeverity, _ title: String
    ) -> NewInboxItem {
        NewInboxItem(
            workspaceID: issue.workspaceID, recipientType: .member, recipientID: recipient, type: type,
            severity: severity, title: title, issueID: issue.id
        )
    }
}
