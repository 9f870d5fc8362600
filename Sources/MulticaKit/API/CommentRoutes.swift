import Hummingbird

/// `/api/issues/{id}/comments` and `/api/comments/{id}` (SPEC §6).
///
/// Any member of the issue's workspace reads and adds comments; only the author edits
/// a comment; the author or an owner/admin deletes it.
struct CommentRoutes {
    let api: APIContext

    struct CreateBody: Decodable {
        let content: String
        let type: StrictEnum<CommentType>?
    }

    struct UpdateBody: Decodable {
        let content: String
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/api/issues/{id}/comments") { _, context in
            let (issue, _) = try await api.issue(try context.parameters.require("id"), for: try context.caller())
            return try JSONResponse.encode(try await api.repository.comments(issue: issue.id))
        }
        router.post("/api/issues/{id}/comments") { request, context in
            let caller = try context.caller()
            let (issue, _) = try await api.issue(try context.parameters.require("id"), for: caller)
            let body = try await RequestBody.decode(CreateBody.self, from: request)
            try Self.validate(body.content)
            let comment = try await api.repository.createComment(
                NewComment(issueID: issue.id, authorType: .member, authorID: caller.userID, content: body.content, type: body.type?.value ?? .comment)
            )
            var batch = EventBatch(workspace: issue.workspaceID, actorType: .member, actorID: caller.userID)
            try batch.add(.commentCreated, [("comment", comment)])
            try batch.add(inbox: try await api.tasks.store(InboxService.commentAdded(comment, on: issue)))
            try await api.publish(batch)
            return try JSONResponse.encode(comment, status: .created)
        }
        router.put("/api/comments/{id}") { request, context in
            let caller = try context.caller()
            let (comment, issue, _) = try await api.comment(try context.parameters.require("id"), for: caller)
            guard comment.authorType == .member, comment.authorID == caller.userID else {
                throw APIError.forbidden("only the author may edit a comment")
            }
            let body = try await RequestBody.decode(UpdateBody.self, from: request)
            try Self.validate(body.content)
            let updated = try await api.repository.updateComment(id: comment.id, content: body.content)
            var batch = EventBatch(workspace: issue.workspaceID, actorType: .member, actorID: caller.userID)
            try batch.add(.commentUpdated, [("comment", updated)])
            try await api.publish(batch)
            return try JSONResponse.encode(updated)
        }
        router.delete("/api/comments/{id}") { _, context in
            let caller = try context.caller()
            let (comment, issue, member) = try await api.comment(try context.parameters.require("id"), for: caller)
            let isAuthor = comment.authorType == .member && comment.authorID == caller.userID
            guard isAuthor || AccessControl.managers.contains(member.role) else {
                throw APIError.forbidden("only the author or an owner or admin may delete a comment")
            }
            try await api.repository.deleteComment(id: comment.id)
            var batch = EventBatch(workspace: issue.workspaceID, actorType: .member, actorID: caller.userID)
            try batch.add(.commentDeleted, [("comment_id", comment.id), ("issue_id", comment.issueID)])
            try await api.publish(batch)
            return Response(status: .noContent)
        }
    }

    static func validate(_ content: String) throws {
        guard !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("field 'content' must not be blank")
        }
    }
}
