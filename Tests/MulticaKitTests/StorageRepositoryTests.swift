import Foundation
import Testing
@testable import MulticaKit

@Suite("Storage repositories")
struct StorageRepositoryTests {
    @Test func migrationsCreateEveryTableAndReopenKeepsData() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multica-storage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a/b/multica.db").path
        do {
            let database = try SQLiteDatabase(path: path)
            let expected: Set<String> = [
                "user", "workspace", "member", "issue", "comment", "agent", "inbox_item", "agent_task", "event", "event_cursor",
            ]
            #expect(try database.tableNames().isSuperset(of: expected))
            for table in expected { #expect(try database.rowCount(table) == 0) }
            #expect(isInvalid(await storageError { _ = try database.rowCount("sqlite_master; DROP TABLE user") }))
            #expect(await database.isReachable())
            #expect(try database.pragma("journal_mode") == "wal")
            #expect(try database.pragma("synchronous") == "1")  // NORMAL
            #expect(try database.pragma("foreign_keys") == "1")
            #expect(try Int(database.pragma("busy_timeout") ?? "0")! >= 1000)
            _ = try await SQLiteRepository(database: database).write { try $0.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1") }
        }
        let reopened = try SQLiteDatabase(path: path)
        #expect(try reopened.rowCount("workspace") == 1)
        #expect(try reopened.rowCount("member") == 1)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func checkConstraintsRefuseBadEnums() async throws {
        try await withTempDatabase { database in
            let repo = SQLiteRepository(database: database)
            let (workspace, _) = try await repo.write { try $0.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1") }
            let now = Timestamp.format(Date())
            #expect(isCheckViolation(await storageError {
                try database.execute(
                    sql: "INSERT INTO member (id, workspace_id, user_id, role, created_at) VALUES ('m', ?, 'u1', 'boss', ?)",
                    arguments: [workspace.id, now]
                )
            }))
            #expect(isCheckViolation(await storageError {
                try database.execute(
                    sql: """
                        INSERT INTO issue (id, workspace_id, title, status, priority, creator_type, creator_id, created_at, updated_at)
                        VALUES ('i', ?, 'T', 'doing', 'none', 'member', 'u1', ?, ?)
                        """,
                    arguments: [workspace.id, now, now]
                )
            }))
            #expect(isCheckViolation(await storageError {
                try database.execute(
                    sql: """
                        INSERT INTO event (workspace_id, seq, id, type, actor_type, actor_id, ts, synthetic, payload)
                        VALUES ('w', '1', 'e', 'issue:created', 'robot', 'a', '0', '0', '{}')
                        """
                )
            }))
            try await repo.upsertUser(id: "u2", email: nil, name: nil)
            // The same insert with valid values passes, so the refusals above are the CHECKs.
            try database.execute(
                sql: "INSERT INTO member (id, workspace_id, user_id, role, created_at) VALUES ('m', ?, 'u2', 'admin', ?)",
                arguments: [workspace.id, now]
            )
            #expect(try database.rowCount("member") == 2)
            let agent = try await repo.write { try $0.createAgent(NewAgent(workspaceID: workspace.id, name: "bot")) }
            var draft = agent
            draft.maxConcurrentTasks = 0
            let broken = draft
            #expect(isInvalid(await storageError { _ = try await repo.write { try $0.updateAgent(broken) } }))
            let issue = try await repo.write { try $0.createIssue(NewIssue(workspaceID: workspace.id, title: "T", creatorType: .member, creatorID: "u1")) }
            #expect(isInvalid(await storageError {
                _ = try await repo.write { try $0.enqueueTask(workspace: workspace.id, agentID: agent.id, issueID: issue.id, priority: 5) }
            }))
        }
    }

    @Test func duplicateSlugAndDuplicateMemberAreConflicts() async throws {
        try await withTempDatabase { database in
            let repo = SQLiteRepository(database: database)
            let (workspace, owner) = try await repo.write { try $0.createWorkspace(name: "A", slug: "acme", description: "d", ownerUserID: "u1") }
            #expect(owner.role == .owner)
            #expect(owner.workspaceID == workspace.id)
            #expect(isConflict(await storageError {
                _ = try await repo.write { try $0.createWorkspace(name: "B", slug: "acme", description: nil, ownerUserID: "u2") }
            }))
            #expect(try database.rowCount("workspace") == 1)
            #expect(isConflict(await storageError { _ = try await repo.write { try $0.addMember(workspace: workspace.id, userID: "u1", role: .member) } }))
            _ = try await repo.write { try $0.addMember(workspace: workspace.id, userID: "u2", role: .member) }
            #expect(isConflict(await storageError { _ = try await repo.write { try $0.addMember(workspace: workspace.id, userID: "u2", role: .admin) } }))
            #expect(isNotFound(await storageError { _ = try await repo.write { try $0.addMember(workspace: "ws_nope", userID: "u3", role: .member) } }))
            #expect(try database.rowCount("member") == 2)
        }
    }

    @Test func workspacesMembersAndUsers() async throws {
        try await withTempDatabase { database in
            let repo = SQLiteRepository(database: database)
            try await repo.upsertUser(id: "u1", email: "a@x.io", name: "Ann")
            try await repo.upsertUser(id: "u1", email: nil, name: "Annie")
            #expect(try await repo.user(id: "u1")?.email == "a@x.io")
            #expect(try await repo.user(id: "u1")?.name == "Annie")

            let (w1, owner) = try await repo.write { try $0.createWorkspace(name: "One", slug: "one", description: nil, ownerUserID: "u1") }
            let (w2, _) = try await repo.write { try $0.createWorkspace(name: "Two", slug: "two", description: nil, ownerUserID: "u2") }
            #expect(owner.name == "Annie")
            #expect(owner.email == "a@x.io")
            #expect(try await repo.workspaces(forUser: "u1").map(\.id) == [w1.id])
            #expect(Set(try await repo.allWorkspaces().map(\.id)) == [w1.id, w2.id])
            #expect(try await repo.workspace(id: w1.id) == w1)

            let added = try await repo.write { try $0.addMember(workspace: w1.id, userID: "u3", role: .admin) }
            #expect(added.name == nil)
            #expect(try await repo.user(id: "u3") != nil)
            #expect(try await repo.membership(workspace: w1.id, user: "u3") == added)
            #expect(try await repo.membership(workspace: w2.id, user: "u3") == nil)
            #expect(try await repo.member(id: added.id) == added)
            #expect(try await repo.members(workspace: w1.id).map(\.userID) == ["u1", "u3"])
            #expect(try await repo.write { try $0.removeMember(id: added.id) } == added)
            #expect(try await repo.membership(workspace: w1.id, user: "u3") == nil)
            #expect(isNotFound(await storageError { _ = try await repo.write { try $0.removeMember(id: added.id) } }))

            var change = w1
            change.name = "Uno"
            change.description = "first"
            change.settings = ["theme": .string("dark")]
            change.slug = "ignored"
            let renamed = change
            let updated = try await repo.write { try $0.updateWorkspace(renamed) }
            #expect(updated.name == "Uno")
            #expect(updated.slug == "one")
            #expect(updated.version == w1.version + 1)
            #expect(try await repo.workspace(id: w1.id) == updated)
            var missing = w1
            missing.id = "nope"
            let absent = missing
            #expect(isNotFound(await storageError { _ = try await repo.write { try $0.updateWorkspace(absent) } }))

            _ = try await repo.write { try $0.createIssue(NewIssue(workspaceID: w1.id, title: "T", creatorType: .member, creatorID: "u1")) }
            try await repo.write { try $0.deleteWorkspace(id: w1.id) }
            #expect(try await repo.workspace(id: w1.id) == nil)
            #expect(try database.rowCount("issue") == 0)
            #expect(try await repo.members(workspace: w1.id).isEmpty)
            #expect(try await repo.workspaces(forUser: "u1").isEmpty)
        }
    }

    @Test func recordsEncodeTheSpecKeysWithNulls() async throws {
        try await withTempDatabase { database in
            let repo = SQLiteRepository(database: database)
            let (workspace, owner) = try await repo.write { try $0.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1") }
            let issue = try await repo.write { try $0.createIssue(NewIssue(workspaceID: workspace.id, title: "T", creatorType: .member, creatorID: "u1")) }
            func keys<T: Encodable>(_ value: T) throws -> Set<String> {
                let decoded = try EventJSON.decoder.decode(JSONValue.self, from: EventJSON.encoder.encode(value))
                guard case .object(let members) = decoded else { return [] }
                return Set(members.keys)
            }
            #expect(try keys(issue) == [
                "id", "workspace_id", "title", "description", "status", "priority", "assignee_type", "assignee_id",
                "creator_type", "creator_id", "parent_issue_id", "acceptance_criteria", "context_refs", "position",
                "due_date", "created_at", "updated_at", "version",
            ])
            #expect(try keys(owner) == ["id", "workspace_id", "user_id", "role", "created_at", "name", "email"])
            #expect(try keys(workspace) == ["id", "name", "slug", "description", "settings", "created_at", "updated_at", "version"])
            let json = String(decoding: try EventJSON.encoder.encode(issue), as: UTF8.self)
            #expect(json.contains(#""assignee_id":null"#))
            #expect(json.contains(#""created_at":"\#(Timestamp.format(issue.createdAt))""#))
            #expect(try EventJSON.decoder.decode(Issue.self, from: EventJSON.encoder.encode(issue)) == issue)
        }
    }

    @Test func issuesCommentsAgentsAndInbox() async throws {
        try await withTempDatabase { database in
            let repo = SQLiteRepository(database: database)
            let (ws, _) = try await repo.write { try $0.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1") }
            let due = Date(timeIntervalSince1970: 1_800_000_000.987_6)
            let first = try await repo.write { try $0.createIssue(NewIssue(
                workspaceID: ws.id, title: "First", creatorType: .member, creatorID: "u1", status: .todo, priority: .high,
                assigneeType: .member, assigneeID: "u2", acceptanceCriteria: ["works"], contextRefs: [.string("doc")],
                dueDate: due
            )) }
            let second = try await repo.write { try $0.createIssue(NewIssue(workspaceID: ws.id, title: "Second", creatorType: .agent, creatorID: "a1")) }
            #expect(first.position == 1)
            #expect(second.position == 2)
            #expect(try await repo.issue(id: first.id) == first)
            #expect(Timestamp.format(first.dueDate!) == Timestamp.format(due))
            #expect(try await repo.issues(workspace: ws.id, status: nil, assignee: nil, limit: nil).map(\.id) == [first.id, second.id])
            #expect(try await repo.issues(workspace: ws.id, status: .todo, assignee: nil, limit: nil).map(\.id) == [first.id])
            #expect(try await repo.issues(workspace: ws.id, status: nil, assignee: "u2", limit: nil).map(\.id) == [first.id])
            #expect(try await repo.issues(workspace: ws.id, status: nil, assignee: nil, limit: 1).count == 1)
            #expect(isInvalid(await storageError {
                _ = try await repo.write { try $0.createIssue(NewIssue(workspaceID: ws.id, title: "X", creatorType: .member, creatorID: "u1", assigneeID: "u2")) }
            }))

            var change = first
            change.status = .inProgress
            change.assigneeType = nil
            change.assigneeID = nil
            change.dueDate = nil
            change.workspaceID = "ws_other"
            let issueChange = change
            let updated = try await repo.write { try $0.updateIssue(issueChange) }
            #expect(updated.workspaceID == ws.id)
            #expect(updated.assigneeID == nil)
            #expect(try await repo.issue(id: first.id) == updated)

            let comment = try await repo.write { try $0.createComment(NewComment(issueID: first.id, authorType: .member, authorID: "u1", content: "hi")) }
            #expect(try await repo.comments(issue: first.id) == [comment])
            var draft = comment
            draft.content = "hello"
            let commentChange = draft
            let edited = try await repo.write { try $0.updateComment(commentChange) }
            #expect(edited.version == 2)
            #expect(try await repo.comment(id: comment.id) == edited)
            #expect(isNotFound(await storageError { _ = try await repo.write { try $0.createComment(NewComment(issueID: "nope", authorType: .member, authorID: "u1", content: "x")) } }))

            let agent = try await repo.write { try $0.createAgent(NewAgent(workspaceID: ws.id, name: "bot", visibility: .private, tools: [.string("git")])) }
            #expect(try await repo.agent(id: agent.id) == agent)
            var working = agent
            working.status = .working
            let busy = working
            #expect(try await repo.write { try $0.updateAgent(busy) }.status == .working)
            #expect(try await repo.agents(workspace: ws.id).map(\.status) == [.working])

            let item = try await repo.write { try $0.createInboxItem(NewInboxItem(
                workspaceID: ws.id, recipientType: .member, recipientID: "u2", type: "issue_assigned",
                severity: .actionRequired, title: "New issue assigned: First", issueID: first.id
            )) }
            #expect(try await repo.inboxItems(workspace: ws.id, recipient: "u2") == [item])
            #expect(try await repo.write { try $0.markInboxRead(id: item.id) }.read)
            #expect(try await repo.write { try $0.archiveInboxItem(id: item.id) }.archived)
            #expect(try await repo.inboxItems(workspace: ws.id, recipient: "u2").isEmpty)
            #expect(try await repo.inboxItem(id: item.id)?.read == true)

            #expect(try await repo.write { try $0.deleteComment(id: comment.id) } == edited)
            try await repo.write { try $0.deleteIssue(id: first.id) }
            #expect(try await repo.inboxItem(id: item.id)?.issueID == nil)
            #expect(try await repo.issue(id: first.id) == nil)
            try await repo.write { try $0.deleteAgent(id: agent.id) }
            #expect(try await repo.agents(workspace: ws.id).isEmpty)
            #expect(isNotFound(await storageError { _ = try await repo.write { try $0.deleteAgent(id: agent.id) } }))
        }
    }
}
