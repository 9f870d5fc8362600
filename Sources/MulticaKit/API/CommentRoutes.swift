import Hummingbird

/// `/api/issues/{id}/comments` and `/api/comments/{id}` (SPEC §6).
///
/// Any member of the issue's workspace reads and adds comments; only the author edits
/// a comment; the author or an owner/admin deletes it.
struct CommentRoutes {
    let api: APIContext

    struct CreateBody: Decodable, Sendable {
        let content: String
        let type: StrictEnum<CommentType>?
    }

    struct UpdateBody: Decodable, Sendable {
        let content: String
    }

    func register(on router: Router<MulticaRequestContext>) {
        router.get("/api/issues/{id}/comments") { _, context in
            let (issue, _) = try await api.issue(try context.parameters.require("id"), for: try context.caller())
            return try JSONResponse.encode(try await api.repository.comments(issue: issue.id))
        }
        router.post("/api/issues/{id}/comments") { request, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let body = try await RequestBody.decode(CreateBody.self, from: request)
            try Self.validate(body.content)
            let comment = try await api.unit { unit in
                let (issue, _) = try unit.issue(id, for: caller)
                let comment = try unit.createComment(
                    NewComment(
                        issueID: issue.id, authorType: .member, authorID: caller.userID, content: body.content,
                        type: body.type?.value ?? .comment
                    )
                )
                let batch = EventBatch(unit, workspace: issue.workspaceID, by: caller)
                try batch.add(.commentCreated, [("comment", comment)])
                try batch.add(inbox: try unit.tasks.store(InboxService.commentAdded(comment, on: issue)))
                return comment
            }
            return try JSONResponse.versioned(comment, status: .created)
        }
        router.put("/api/comments/{id}") { request, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let precondition = try IfMatch.parse(request)
            let body = try await RequestBody.decode(UpdateBody.self, from: request)
            try Self.validate(body.content)
            let updated = try await api.unit { unit in
                var (comment, issue, _) = try unit.comment(id, for: caller)
                guard comment.authorType == .member, comment.authorID == caller.userID else {
                    throw APIError.forbidden("only the author may edit a comment")
                }
                try precondition.check(comment)
                comment.content = body.content
                let updated = try unit.updateComment(comment)
                try EventBatch(unit, workspace: issue.workspaceID, by: caller).add(.commentUpdated, [("comment", updated)])
                return updated
            }
            return try JSONResponse.versioned(updated)
        }
        router.delete("/api/comments/{id}") { request, context in
            let caller = try context.caller()
            let id = try context.parameters.require("id")
            let precondition = try IfMatch.parse(request)
            try await api.unit { unit in
                let (comment, issue, member) = try unit.comment(id, for: caller)
                let isAuthor = comment.authorType == .member && comment.authorID == caller.userID
                guard isAuthor || AccessControl.managers.contains(member.role) else {
                    throw APIError.forbidden("only the author or an owner or admin may delete a comment")
                }
                try precondition.check(comment)
                _ = try unit.deleteComment(id: comment.id)
                try EventBatch(unit, workspace: issue.workspaceID, by: caller)
                    .add(.commentDeleted, [("comment_id", comment.id), ("issue_id", comment.issueID)])
            }
            return Response(status: .noContent)
        }
    }

    static func validate(_ content: String) throws {
        guard !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("field 'content' must not be blank")
        }
    }
}
