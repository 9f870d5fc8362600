import Foundation
import Synchronization
import Testing
@testable import MulticaKit

/// SPEC §4 "One request, one unit of work" and "Versions", through a real server.
@Suite("Unit of work and versions")
struct UnitOfWorkTests {
    /// Two clients change disjoint fields of one object at the same moment, 30 rounds:
    /// each read-modify-write reads inside its own transaction, so both changes stick.
    @Test func concurrentPartialUpdatesOfAnIssueBothStick() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            let issue = try await alice.expect(201, "POST", "/api/issues", object: [
                "workspace_id": .string(workspace), "title": .string("start"),
            ]).string("id")
            var lost: [String] = []
            for round in 0..<30 {
                async let a = alice.send("PUT", "/api/issues/\(issue)", object: ["title": .string("title \(round)")])
                async let b = bob.send("PUT", "/api/issues/\(issue)", object: ["description": .string("description \(round)")])
                let (ra, rb) = try await (a, b)
                #expect(ra.status == 200 && rb.status == 200)
                let now = try await alice.expect(200, "GET", "/api/issues/\(issue)")
                if now.string("title") != "title \(round)" || now.string("description") != "description \(round)" {
                    lost.append("round \(round): \(now.string("title")) / \(now.string("description"))")
                }
            }
            #expect(lost.isEmpty, "lost updates: \(lost)")
            let final = try await alice.expect(200, "GET", "/api/issues/\(issue)")
            #expect(final["version"]?.intValue == 61)
            // The last issue:updated carries exactly what GET returns.
            let last = try #require(try await alice.events(workspace).last { $0.type == .issueUpdated })
            #expect(last.payloadJSON["issue"] == final)
        }
    }

    /// An update leaves the indexed issue columns out while they keep their value; the
    /// row and the indexes stay right either way: listing by status and by assignee
    /// (index lookups) finds the issue exactly where GET says it is.
    @Test func updatesWithAndWithoutIndexedFieldsKeepListsByStatusAndAssigneeRight() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            let issue = try await alice.expect(201, "POST", "/api/issues", object: [
                "workspace_id": .string(workspace), "title": .string("start"),
            ]).string("id")
            func listed(_ query: String) async throws -> [String] {
                try await alice.expect(200, "GET", "/api/issues?workspace_id=\(workspace)&\(query)").arrayValue?.compactMap { $0.string("id") } ?? []
            }
            _ = try await alice.expect(200, "PUT", "/api/issues/\(issue)", object: ["status": .string("todo"), "title": .string("a")])
            #expect(try await listed("status=todo") == [issue])
            _ = try await alice.expect(200, "PUT", "/api/issues/\(issue)", object: ["title": .string("b")])
            #expect(try await listed("status=todo") == [issue])
            #expect(try await alice.send("PUT", "/api/issues/\(issue)", object: [
                "assignee_type": .string("member"), "assignee_id": .string("bob"),
            ], headers: ["If-Match": "\"3\""]).status == 200)
            #expect(try await listed("assignee_id=bob") == [issue])
            #expect(try await alice.send("PUT", "/api/issues/\(issue)", object: ["status": .string("done")], headers: ["If-Match": "\"4\""]).status == 200)
            #expect(try await listed("status=todo").isEmpty)
            #expect(try await listed("status=done") == [issue])
            #expect(try await listed("assignee_id=bob") == [issue])
            let final = try await alice.expect(200, "GET", "/api/issues/\(issue)")
            #expect(final.string("title") == "b" && final.string("status") == "done" && final.string("assignee_id") == "bob")
            #expect(final["version"]?.intValue == 5)
            // Each answer is the object its event carries (one encoding serves both).
            let events = try await alice.events(workspace)
            #expect(events.first { $0.type == .issueCreated }?.payloadJSON["issue"]?.string("title") == "start")
            #expect(events.last { $0.type == .issueUpdated }?.payloadJSON["issue"] == final)
        }
    }

    @Test func concurrentPartialUpdatesOfAnAgentBothStick() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace, role: "admin")
            let agent = try await alice.expect(201, "POST", "/api/agents", object: [
                "workspace_id": .string(workspace), "name": .string("bot"),
            ]).string("id")
            var lost = 0
            for round in 0..<30 {
                async let a = alice.send("PUT", "/api/agents/\(agent)", object: ["name": .string("bot \(round)")])
                async let b = bob.send("PUT", "/api/agents/\(agent)", object: ["skills": .string("skill \(round)")])
                let (ra, rb) = try await (a, b)
                #expect(ra.status == 200 && rb.status == 200)
                let now = try await alice.expect(200, "GET", "/api/agents/\(agent)")
                if now.string("name") != "bot \(round)" || now.string("skills") != "skill \(round)" { lost += 1 }
            }
            #expect(lost == 0)
            let final = try await alice.expect(200, "GET", "/api/agents/\(agent)")
            let last = try #require(try await alice.events(workspace).last { $0.type == .agentStatus })
            #expect(last.payloadJSON["agent"] == final)
        }
    }

    @Test func staleIfMatchAnswers412WithTheCurrentObjectAndChangesNothing() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let created = try await alice.send("POST", "/api/issues", object: ["workspace_id": .string(workspace), "title": .string("v1")])
            #expect(created.status == 201)
            #expect(created.header("ETag") == "\"1\"")
            let issue = try created.json().string("id")

            let fetched = try await alice.send("GET", "/api/issues/\(issue)")
            #expect(fetched.header("ETag") == "\"1\"")
            let current = try await alice.send("PUT", "/api/issues/\(issue)", object: ["title": .string("v2")], headers: ["If-Match": "\"1\""])
            #expect(current.status == 200)
            #expect(current.header("ETag") == "\"2\"")
            #expect(try current.json()["version"]?.intValue == 2)

            let head = try await alice.headSeq(workspace)
            let stale = try await alice.send("PUT", "/api/issues/\(issue)", object: ["title": .string("lost")], headers: ["If-Match": "\"1\""])
            #expect(stale.status == 412)
            #expect(stale.error == "version mismatch")
            #expect(try stale.json()["current"]?.string("title") == "v2")
            #expect(try stale.json()["current"]?["version"]?.intValue == 2)
            let staleDelete = try await alice.send("DELETE", "/api/issues/\(issue)", headers: ["If-Match": "W/\"1\""])
            #expect(staleDelete.status == 412)
            #expect(try await alice.headSeq(workspace) == head, "a refused precondition publishes nothing")
            #expect(try await alice.expect(200, "GET", "/api/issues/\(issue)").string("title") == "v2")

            let malformed = try await alice.send("PUT", "/api/issues/\(issue)", object: ["title": .string("x")], headers: ["If-Match": "abc"])
            #expect(malformed.status == 400)
            #expect(malformed.error?.contains("If-Match") == true)
            let any = try await alice.send("PUT", "/api/issues/\(issue)", object: ["title": .string("v3")], headers: ["If-Match": "*"])
            #expect(any.header("ETag") == "\"3\"")

            // The same rule for workspaces, comments and agents.
            let ws = try await alice.send("PATCH", "/api/workspaces/\(workspace)", object: ["name": .string("B")], headers: ["If-Match": "\"9\""])
            #expect(ws.status == 412)
            #expect(try ws.json()["current"]?["version"]?.intValue == 1)
            let comment = try await alice.expect(201, "POST", "/api/issues/\(issue)/comments", object: ["content": .string("hi")]).string("id")
            let edit = try await alice.send("PUT", "/api/comments/\(comment)", object: ["content": .string("hello")], headers: ["If-Match": "\"1\""])
            #expect(edit.header("ETag") == "\"2\"")
            #expect(try await alice.send("PUT", "/api/comments/\(comment)", object: ["content": .string("x")], headers: ["If-Match": "\"1\""]).status == 412)
            let agent = try await alice.expect(201, "POST", "/api/agents", object: ["workspace_id": .string(workspace), "name": .string("bot")]).string("id")
            #expect(try await alice.send("PUT", "/api/agents/\(agent)", object: ["name": .string("x")], headers: ["If-Match": "\"2\""]).status == 412)
            #expect(try await alice.send("DELETE", "/api/agents/\(agent)", headers: ["If-Match": "\"1\""]).status == 204)
        }
    }

    /// Many concurrent units share group commits; the ones whose precondition fails roll
    /// back alone, and every other one commits with dense seqs.
    @Test func failingUnitsInAGroupCommitNeverFailTheOthers() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let issue = try await alice.expect(201, "POST", "/api/issues", object: ["workspace_id": .string(workspace), "title": .string("x")]).string("id")
            let head = try await alice.headSeq(workspace)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let headers = i.isMultiple(of: 2) ? ["If-Match": "\"999\""] : [:]
                        return try await alice.send("PUT", "/api/issues/\(issue)", object: ["title": .string("t\(i)")], headers: headers).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 20)
            #expect(statuses.filter { $0 == 412 }.count == 20)
            let events = try await alice.events(workspace, since: head)
            #expect(events.map(\.seq) == Array((head + 1)...(head + 20)))
            #expect(try await alice.expect(200, "GET", "/api/issues/\(issue)")["version"]?.intValue == 21)
        }
    }

    /// A unit whose events cannot be appended is rolled back whole: 500, the row is
    /// unchanged, and no socket sees anything of it.
    @Test func aUnitWhoseEventAppendFailsLeavesItsRowsUnchanged() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let issue = try await alice.expect(201, "POST", "/api/issues", object: ["workspace_id": .string(workspace), "title": .string("before")]).string("id")
            let token = try await server.token("alice")
            let head = try await alice.headSeq(workspace)
            let socket = try await TestSocket.connect(
                port: server.port, path: "/ws?workspace_id=\(workspace)&since=\(head)", headers: ["Authorization": "Bearer \(token)"]
            )
            defer { Task { await socket.close() } }
            _ = try await socket.texts(1)  // hello

            try server.server.database!.execute(sql: "CREATE TRIGGER refuse_events BEFORE INSERT ON event BEGIN SELECT RAISE(ABORT, 'refused'); END")
            let refused = try await alice.send("PUT", "/api/issues/\(issue)", object: ["title": .string("after"), "status": .string("todo")])
            #expect(refused.status == 500)
            #expect(refused.error == "internal error")
            let unchanged = try await alice.expect(200, "GET", "/api/issues/\(issue)")
            #expect(unchanged.string("title") == "before")
            #expect(unchanged.string("status") == "backlog")
            #expect(unchanged["version"]?.intValue == 1)
            let comment = try await alice.send("POST", "/api/issues/\(issue)/comments", object: ["content": .string("c")])
            #expect(comment.status == 500)
            #expect(try await alice.expect(200, "GET", "/api/issues/\(issue)/comments").arrayValue?.isEmpty == true)

            try server.server.database!.execute(sql: "DROP TRIGGER refuse_events")
            _ = try await alice.expect(200, "PUT", "/api/issues/\(issue)", object: ["title": .string("later")])
            // The first event the socket gets is the later change: nothing of the failed units was delivered.
            let next = try EventJSON.decoder.decode(EventEnvelope.self, from: Data(try await socket.texts(1)[0].utf8))
            #expect(next.seq == head + 1)
            #expect(next.payloadJSON["issue"]?.string("title") == "later")
        }
    }
}

/// The group commit itself, on the SQLite backend: what a failing unit leaves behind.
@Suite("Group commit: savepoints and memberships")
struct GroupCommitTests {
    private struct Refused: Error {}

    /// A unit that wrote rows and appended events, then threw, leaves none of them; the
    /// units before and after it in the same transaction keep theirs, with dense seqs.
    @Test func aFailingUnitInAGroupIsRolledBackAloneToItsSavepoint() async throws {
        try await withTempDatabase { database in
            let repository = SQLiteRepository(database: database)
            let outcomes = try repository.run([
                { unit in unit.append(testEvent("ws_g")); return try unit.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1").0.id },
                { unit in
                    unit.append(testEvent("ws_g"))
                    _ = try unit.createWorkspace(name: "B", slug: "b", description: nil, ownerUserID: "u1")
                    throw Refused()
                },
                { unit in unit.append(testEvent("ws_g")); return try unit.createWorkspace(name: "C", slug: "c", description: nil, ownerUserID: "u1").0.id },
            ])
            let seqs = outcomes.map { outcome -> [Int64]? in
                if case .committed(_, let events) = outcome { return events.map(\.seq) }
                return nil
            }
            #expect(seqs == [[1], nil, [2]])
            if case .failed(let error) = outcomes[1] { #expect(error is Refused) } else { Issue.record("the throwing unit committed") }
            #expect(try await repository.workspaces(forUser: "u1").map(\.slug).sorted() == ["a", "c"])
            #expect(try await SQLiteEventLog(database: database).events(workspace: "ws_g", since: 0, limit: 10).map(\.seq) == [1, 2])
        }
    }

    /// Units of one group take their seqs from the heads the units before them committed
    /// (`GroupEventHeads`): dense per workspace across units, past a unit that failed
    /// halfway through its appends, and on from what the table held before the group.
    @Test func seqsStayDenseAcrossTheUnitsOfAGroup() async throws {
        try await withTempDatabase { database in
            let log = SQLiteEventLog(database: database)
            _ = try log.append([testEvent("ws_a"), testEvent("ws_a")])
            let repository = SQLiteRepository(database: database)
            let twice = testEvent("ws_a")
            let outcomes = try repository.run([
                { unit in unit.append(testEvent("ws_a")); return 0 },
                { unit in unit.append(testEvent("ws_b")); unit.append(testEvent("ws_a")); return 0 },
                // Its second copy of one event breaks UNIQUE(id) after two inserts.
                { unit in unit.append(testEvent("ws_a")); unit.append(twice); unit.append(twice); return 0 },
                { unit in unit.append(testEvent("ws_b")); unit.append(testEvent("ws_a")); return 0 },
            ])
            let seqs = outcomes.map { outcome -> [String]? in
                if case .committed(_, let events) = outcome { return events.map { "\($0.workspaceID)#\($0.seq)" } }
                return nil
            }
            #expect(seqs == [["ws_a#3"], ["ws_b#1", "ws_a#4"], nil, ["ws_b#2", "ws_a#5"]])
            #expect(try log.append([testEvent("ws_a"), testEvent("ws_b")]).map(\.seq) == [6, 3])
            #expect(try await log.events(workspace: "ws_a", since: 0, limit: 10).map(\.seq) == [1, 2, 3, 4, 5, 6])
        }
    }

    /// A unit that only checks a membership and appends one event runs without a
    /// savepoint; when its one INSERT is refused, nothing of it remains and the group goes
    /// on. Units that write rows, or append several events, still get one.
    @Test func unitsWithoutASavepointFailAloneToo() async throws {
        try await withTempDatabase { database in
            let repository = SQLiteRepository(database: database)
            let (workspace, _) = try await repository.write { try $0.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1") }
            let owner = Principal(userID: "u1", email: nil, name: nil, isAdmin: false)
            let taken = testEvent(workspace.id)
            let outcomes = try repository.run([
                { unit in try unit.requireMemberships(of: [workspace.id], owner); unit.append(taken); return 0 },
                // The same event id again: UNIQUE(id) refuses the INSERT.
                { unit in try unit.requireMemberships(of: [workspace.id], owner); unit.append(taken); return 0 },
                { unit in try unit.requireMemberships(of: [workspace.id], owner); unit.append(testEvent(workspace.id)); return 0 },
                { unit in
                    _ = try unit.createWorkspace(name: "B", slug: "b", description: nil, ownerUserID: "u1")
                    unit.append(testEvent(workspace.id))
                    throw Refused()
                },
                { unit in try unit.requireMemberships(of: [workspace.id], owner); unit.append(testEvent(workspace.id)); return 0 },
            ])
            let seqs = outcomes.map { outcome -> [Int64]? in
                if case .committed(_, let events) = outcome { return events.map(\.seq) }
                return nil
            }
            #expect(seqs == [[1], nil, [2], nil, [3]])
            #expect(try await repository.workspaces(forUser: "u1").map(\.slug) == ["a"])
            #expect(try await SQLiteEventLog(database: database).events(workspace: workspace.id, since: 0, limit: 10).map(\.seq) == [1, 2, 3])
        }
    }

    /// A unit that ends without its savepoint having changed a row besides its one event
    /// fails the whole group instead of committing half of itself.
    @Test func aWriteWithoutTheSavepointFailsTheGroup() async throws {
        try await withTempDatabase { database in
            for (index, outcome) in [UnitOutcome.committed(value: 0, events: []), .failed(Refused())].enumerated() {
                let thrown = try database.pool.write { db -> (any Error)? in
                    let savepoint = UnitSavepoint(db)
                    try db.execute(sql: "INSERT INTO user (id, created_at) VALUES (?, '2026-01-01T00:00:00.000Z')", arguments: ["sneaky\(index)"])
                    do { try savepoint.finish(outcome) } catch { return error }
                    return nil
                }
                #expect(thrown != nil)
            }
            try database.pool.write { db in
                let savepoint = UnitSavepoint(db)
                try savepoint.open()
                try db.execute(sql: "INSERT INTO user (id, created_at) VALUES ('guarded', '2026-01-01T00:00:00.000Z')")
                try savepoint.finish(.failed(Refused()))
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user WHERE id = 'guarded'") == 0)
            }
        }
    }

    /// A group of one unit runs without a savepoint: when it throws, the transaction is
    /// rolled back, so neither its rows nor its seq remain, and the next unit takes seq 1.
    @Test func aFailingUnitAloneInItsGroupLeavesNothing() async throws {
        try await withTempDatabase { database in
            let repository = SQLiteRepository(database: database)
            let failed = try repository.run([{ unit in
                unit.append(testEvent("ws_g"))
                _ = try unit.createWorkspace(name: "B", slug: "b", description: nil, ownerUserID: "u1")
                throw Refused()
            }])
            guard case .failed(let error) = failed[0] else { Issue.record("the throwing unit committed"); return }
            #expect(error is Refused)
            #expect(try await repository.workspaces(forUser: "u1").isEmpty)
            let next = try SQLiteEventLog(database: database).append([testEvent("ws_g")])
            #expect(next.map(\.seq) == [1])
        }
    }

    /// Units of one group share what they found of memberships; a removal or a failed unit
    /// in between makes the next unit read the table again.
    @Test func aMembershipFoundEarlierInTheGroupIsReadAgainAfterARemovalOrARollback() async throws {
        try await withTempDatabase { database in
            let repository = SQLiteRepository(database: database)
            let (workspace, _) = try await repository.write { try $0.createWorkspace(name: "A", slug: "a", description: nil, ownerUserID: "u1") }
            let bob = try await repository.write { try $0.addMember(workspace: workspace.id, userID: "bob", role: .member) }
            let outcomes = try repository.run([
                { unit in try unit.isMember(user: "bob", ofAll: [workspace.id]) },
                { unit in try unit.isMember(user: "bob", ofAll: [workspace.id]) },
                { unit in try unit.removeMember(id: bob.id).id },
                { unit in try unit.isMember(user: "bob", ofAll: [workspace.id]) },
                { unit in
                    _ = try unit.addMember(workspace: workspace.id, userID: "carol", role: .member)
                    #expect(try unit.isMember(user: "carol", ofAll: [workspace.id]))
                    throw Refused()
                },
                { unit in try unit.isMember(user: "carol", ofAll: [workspace.id]) },
                { unit in try unit.isMember(user: "u1", ofAll: [workspace.id]) },
            ])
            let answers = outcomes.map { outcome -> Bool? in
                if case .committed(let value, _) = outcome { return value as? Bool }
                return nil
            }
            #expect(answers == [true, true, nil, false, nil, false, true])
        }
    }
}
