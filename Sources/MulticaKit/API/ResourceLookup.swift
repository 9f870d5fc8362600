/// Loading a resource by id together with the caller's right to it: an unknown id is
/// 404; a known resource of a workspace the caller is not a member of is 403
/// "not a member of this workspace".
extension APIContext {
    func issue(_ id: String, for caller: Principal) async throws -> (Issue, Member) {
        guard let issue = try await repository.issue(id: id) else { throw APIError.notFound("issue") }
        return (issue, try await access.member(of: issue.workspaceID, caller))
    }

    func agent(_ id: String, for caller: Principal) async throws -> (Agent, Member) {
        guard let agent = try await repository.agent(id: id) else { throw APIError.notFound("agent") }
        return (agent, try await access.member(of: agent.workspaceID, caller))
    }

    func task(_ id: String, for caller: Principal) async throws -> AgentTask {
        guard let task = try await repository.task(id: id) else { throw APIError.notFound("task") }
        _ = try await access.member(of: task.workspaceID, caller)
        return task
    }

    /// A comment, its issue and the caller's membership of the issue's workspace.
    func comment(_ id: String, for caller: Principal) async throws -> (Comment, Issue, Member) {
        guard let comment = try await repository.comment(id: id) else { throw APIError.notFound("comment") }
        guard let issue = try await repository.issue(id: comment.issueID) else { throw APIError.notFound("comment") }
        return (comment, issue, try await access.member(of: issue.workspaceID, caller))
    }

    /// 400 unless the assignee exists in `workspace`: a member's user id, or an agent of it.
    func validateAssignee(type: AssigneeType?, id: String?, in workspace: String) async throws {
        guard let type, let id else { return }
        switch type {
        case .member:
            guard try await repository.membership(workspace: workspace, user: id) != nil else {
                throw APIError.badRequest("field 'assignee_id': no member '\(id)' in this workspace")
            }
        case .agent:
            guard let agent = try await repository.agent(id: id), agent.workspaceID == workspace else {
                throw APIError.badRequest("field 'assignee_id': no agent '\(id)' in this workspace")
            }
        }
    }
}
