/// The access checks of SPEC §6 made inside a unit of work, so that the membership or
/// the resource that allows a write is read in the same transaction as the write
/// (a member removed a moment earlier can no longer slip a change in).
///
/// An unknown id is 404; a resource of a workspace the caller is not a member of is
/// 403 "not a member of this workspace", as in `AccessControl`.
extension UnitOfWork {
    /// The caller's membership of `workspace`, or 403.
    func member(of workspace: String, _ caller: Principal) throws -> Member {
        guard !workspace.isEmpty, let member = try membership(workspace: workspace, user: caller.userID) else {
            throw APIError.notMember
        }
        return member
    }

    /// The caller's memberships of every workspace in `workspaces` (`""` excluded), or
    /// 403 if one is missing; one read for all of them (a batch of events).
    func requireMemberships(of workspaces: [String], _ caller: Principal) throws {
        // Concrete and without a filtered copy for the usual single workspace: the generic
        // version's filter was 1.3% of the server's CPU under pipelined socket publishing.
        if workspaces.count == 1 {
            guard try workspaces[0].isEmpty || isMember(user: caller.userID, ofAll: workspaces) else { throw APIError.notMember }
            return
        }
        let wanted = workspaces.filter { !$0.isEmpty }
        guard !wanted.isEmpty else { return }
        guard try isMember(user: caller.userID, ofAll: wanted) else { throw APIError.notMember }
    }

    /// The caller's membership, which must have one of `roles`, or 403.
    @discardableResult
    func member(of workspace: String, _ caller: Principal, roles: Set<MemberRole>) throws -> Member {
        let member = try member(of: workspace, caller)
        try AccessControl.check(member, has: roles)
        return member
    }

    func issue(_ id: String, for caller: Principal) throws -> (Issue, Member) {
        guard let issue = try issue(id: id) else { throw APIError.notFound("issue") }
        return (issue, try member(of: issue.workspaceID, caller))
    }

    func agent(_ id: String, for caller: Principal) throws -> (Agent, Member) {
        guard let agent = try agent(id: id) else { throw APIError.notFound("agent") }
        return (agent, try member(of: agent.workspaceID, caller))
    }

    func task(_ id: String, for caller: Principal) throws -> AgentTask {
        guard let task = try task(id: id) else { throw APIError.notFound("task") }
        _ = try member(of: task.workspaceID, caller)
        return task
    }

    /// A comment, its issue and the caller's membership of the issue's workspace.
    func comment(_ id: String, for caller: Principal) throws -> (Comment, Issue, Member) {
        guard let comment = try comment(id: id), let issue = try issue(id: comment.issueID) else {
            throw APIError.notFound("comment")
        }
        return (comment, issue, try member(of: issue.workspaceID, caller))
    }

    /// 400 unless the assignee exists in `workspace`: a member's user id, or an agent of it.
    func validateAssignee(type: AssigneeType?, id: String?, in workspace: String) throws {
        guard let type, let id else { return }
        switch type {
        case .member:
            guard try membership(workspace: workspace, user: id) != nil else {
                throw APIError.badRequest("field 'assignee_id': no member '\(id)' in this workspace")
            }
        case .agent:
            guard let agent = try agent(id: id), agent.workspaceID == workspace else {
                throw APIError.badRequest("field 'assignee_id': no agent '\(id)' in this workspace")
            }
        }
    }

    var tasks: TaskService { TaskService(unit: self) }
}
