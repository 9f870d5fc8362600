/// Loading a resource by id together with the caller's right to it, for reads outside a
/// unit of work: an unknown id is 404; a known resource of a workspace the caller is not
/// a member of is 403 "not a member of this workspace".
extension APIContext {
    func issue(_ id: String, for caller: Principal) async throws -> (Issue, Member) {
        guard let issue = try await repository.issue(id: id) else { throw APIError.notFound("issue") }
        return (issue, try await access.member(of: issue.workspaceID, caller))
    }

    func agent(_ id: String, for caller: Principal) async throws -> (Agent, Member) {
        guard let agent = try await repository.agent(id: id) else { throw APIError.notFound("agent") }
        return (agent, try await access.member(of: agent.workspaceID, caller))
    }

    /// A comment, its issue and the caller's membership of the issue's workspace.
    func comment(_ id: String, for caller: Principal) async throws -> (Comment, Issue, Member) {
        guard let comment = try await repository.comment(id: id), let issue = try await repository.issue(id: comment.issueID) else {
            throw APIError.notFound("comment")
        }
        return (comment, issue, try await access.member(of: issue.workspaceID, caller))
    }
}
