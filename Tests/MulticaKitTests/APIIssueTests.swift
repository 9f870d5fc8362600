import Foundation
import Testing
@testable import MulticaKit

/// Issues, comments and the inbox through a real server over HTTP.
@Suite("API issues, comments and inbox")
struct APIIssueTests {
    @Test func issueCreateUpdateDeletePublishEventsInOrder() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            let head = try await alice.headSeq(workspace)

            let created = try await alice.expect(201, "POST", "/api/issues", object: [
                "workspace_id": .string(workspace), "title": .string("Fix login"), "priority": .string("high"),
                "assignee_type": .string("member"), "assignee_id": .string("bob"),
                "acceptance_criteria": .array([.string("works")]),
            ])
            let expectedKeys: Set<String> = [
                "id", "workspace_id", "title", "description", "status", "priority", "assignee_type", "assignee_id",
                "creator_type", "creator_id", "parent_issue_id", "acceptance_criteria", "context_refs", "position",
                "due_date", "created_at", "updated_at", "version",
            ]
            guard case .object(let members) = created else { Issue.record("not an object: \(created)"); return }
            #expect(Set(members.keys) == expectedKeys)
            #expect(created.string("status") == "backlog")
            #expect(created.string("priority") == "high")
            #expect(created.string("creator_type") == "member")
            #expect(created.string("creator_id") == "alice")
            let id = created.string("id")

            let fetched = try await bob.expect(200, "GET", "/api/issues/\(id)")
            #expect(fetched.string("title") == "Fix login")
            let listed = try await bob.expect(200, "GET", "/api/issues?workspace_id=\(workspace)")
            #expect(listed.arrayValue?.map { $0.string("id") } == [id])
            let byHeader = try await bob.send("GET", "/api/issues", headers: ["X-Workspace-ID": workspace])
            #expect(byHeader.status == 200)

            let updated = try await alice.expect(200, "PUT", "/api/issues/\(id)", object: ["status": .string("in_progress"), "description": .string("d")])
            #expect(updated.string("status") == "in_progress")
            #expect(updated.string("description") == "d")
            #expect(updated.string("title") == "Fix login")
            #expect(updated["assignee_id"]?.stringValue == "bob")
            try await alice.expect(204, "DELETE", "/api/issues/\(id)")
            try await alice.expect(404, "GET", "/api/issues/\(id)")

            // Alice (creator and actor) sees no inbox event; Bob sees his two.
            let aliceEvents = try await alice.events(workspace, since: head)
            #expect(aliceEvents.map(\.type.rawValue) == ["issue:created", "issue:updated", "issue:deleted"])
            let bobEvents = try await bob.events(workspace, since: head)
            #expect(bobEvents.map(\.type.rawValue) == ["issue:created", "inbox:new", "issue:updated", "inbox:new", "issue:deleted"])
            #expect(bobEvents.map(\.seq) == Array((head + 1)...(head + 5)))
            #expect(bobEvents.allSatisfy { $0.actorID == "alice" && $0.actorType == .member && !$0.synthetic })
            let firstItem = try #require(bobEvents[1].payloadJSON["item"])
            #expect(firstItem.string("recipient_id") == "bob")
            #expect(firstItem.string("type") == "issue_assigned")
            #expect(firstItem.string("severity") == "action_required")
            #expect(firstItem.string("title") == "New issue assigned: Fix login")
            #expect(bobEvents[3].payloadJSON["item"]?.string("title") == "Fix login moved to in_progress")
            #expect(bobEvents[0].payloadJSON["issue"]?.string("id") == id)
            #expect(bobEvents[4].payloadJSON == .object(["issue_id": .string(id)]))
        }
    }

    @Test func inboxTriggersReachOnlyTheirRecipient() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let carol = try await server.client("carol")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            try await alice.addMember("carol", to: workspace)

            // Carol creates an issue for Bob; Alice moves it to Carol; Bob changes its status.
            let issue = try await carol.expect(201, "POST", "/api/issues?workspace_id=\(workspace)", object: [
                "title": .string("T"), "assignee_type": .string("member"), "assignee_id": .string("bob"),
            ])
            let id = issue.string("id")
            try await alice.expect(200, "PUT", "/api/issues/\(id)", object: ["assignee_type": .string("member"), "assignee_id": .string("carol")])
            try await bob.expect(200, "PUT", "/api/issues/\(id)", object: ["status": .string("todo")])
            // Alice comments (Carol, the assignee, is told); Carol comments (nobody is).
            let comment = try await alice.expect(201, "POST", "/api/issues/\(id)/comments", object: ["content": .string("ping")])
            #expect(comment.string("author_id") == "alice")
            #expect(comment.string("type") == "comment")
            try await carol.expect(201, "POST", "/api/issues/\(id)/comments", object: ["content": .string("pong")])

            func titles(_ client: APIClient) async throws -> [String] {
                try await client.expect(200, "GET", "/api/inbox?workspace_id=\(workspace)").arrayValue?.map { $0.string("title") } ?? []
            }
            #expect(try await titles(alice).isEmpty)
            #expect(try await titles(bob) == ["Unassigned from: T", "New issue assigned: T"])
            // Carol is both creator and assignee: one status item, not two.
            #expect(try await titles(carol) == ["New comment on: T", "T moved to todo", "Assigned to you: T"])

            func inboxEvents(_ client: APIClient) async throws -> [EventEnvelope] {
                try await client.events(workspace).filter { $0.type.isPersonal }
            }
            #expect(try await inboxEvents(alice).isEmpty)
            #expect(try await inboxEvents(bob).allSatisfy { $0.recipientID == "bob" })
            #expect(try await inboxEvents(carol).count == 3)

            // Read and archive: only the recipient; anyone else gets 404.
            try await bob.expect(400, "GET", "/api/inbox")  // no workspace named
            let items = try await bob.send("GET", "/api/inbox", headers: ["X-Workspace-ID": workspace])
            let itemID = try items.json().arrayValue?.first?.string("id") ?? ""
            try await alice.expect(404, "POST", "/api/inbox/\(itemID)/read")
            try await alice.expect(404, "POST", "/api/inbox/nope/read")
            let read = try await bob.expect(200, "POST", "/api/inbox/\(itemID)/read")
            #expect(read["read"]?.boolValue == true)
            try await bob.expect(200, "POST", "/api/inbox/\(itemID)/archive")
            #expect(try await titles(bob) == ["New issue assigned: T"])
            let bobTail = try await inboxEvents(bob).suffix(2)
            #expect(bobTail.map(\.type.rawValue) == ["inbox:read", "inbox:archived"])
            #expect(bobTail.allSatisfy { $0.payloadJSON == .object(["item_id": .string(itemID), "recipient_id": .string("bob")]) })
            #expect(try await inboxEvents(alice).isEmpty)
        }
    }

    @Test func commentsEditAndDeleteWithRoles() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            let issue = try await bob.expect(201, "POST", "/api/issues?workspace_id=\(workspace)", object: ["title": .string("T")])
            let id = issue.string("id")
            let head = try await alice.headSeq(workspace)
            let comment = try await bob.expect(201, "POST", "/api/issues/\(id)/comments", object: ["content": .string("first")])
            let commentID = comment.string("id")
            try await alice.expect(403, "PUT", "/api/comments/\(commentID)", object: ["content": .string("hijack")])
            let edited = try await bob.expect(200, "PUT", "/api/comments/\(commentID)", object: ["content": .string("second")])
            #expect(edited.string("content") == "second")
            let listed = try await alice.expect(200, "GET", "/api/issues/\(id)/comments")
            #expect(listed.arrayValue?.map { $0.string("content") } == ["second"])
            try await bob.expect(400, "POST", "/api/issues/\(id)/comments", object: ["content": .string("  ")])
            try await bob.expect(400, "POST", "/api/issues/\(id)/comments", object: ["content": .string("x"), "type": .string("shout")])
            try await alice.expect(204, "DELETE", "/api/comments/\(commentID)")  // an owner may delete
            try await alice.expect(404, "DELETE", "/api/comments/\(commentID)")
            let events = try await alice.events(workspace, since: head)
            #expect(events.map(\.type.rawValue) == ["comment:created", "comment:updated", "comment:deleted"])
            #expect(events[2].payloadJSON == .object(["comment_id": .string(commentID), "issue_id": .string(id)]))
        }
    }
}
