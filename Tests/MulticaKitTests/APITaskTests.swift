import Foundation
import Testing
@testable import MulticaKit

/// Agents and the agent-task lifecycle through a real server over HTTP.
@Suite("API agents and tasks")
struct APITaskTests {
    @Test func fullTaskLifecycleWithPriorityAndConcurrency() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let daemon = try await server.client("daemon")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            try await alice.addMember("daemon", to: workspace)

            try await bob.expect(403, "POST", "/api/agents?workspace_id=\(workspace)", object: ["name": .string("bot")])
            let agent = try await alice.expect(201, "POST", "/api/agents?workspace_id=\(workspace)", object: [
                "name": .string("bot"), "max_concurrent_tasks": .int(1), "runtime_mode": .string("cloud"),
            ])
            let agentID = agent.string("id")
            #expect(agent.string("status") == "idle")
            #expect(agent.string("owner_id") == "alice")
            #expect(agent.string("runtime_mode") == "cloud")

            func issue(_ title: String, _ status: String, _ priority: String) async throws -> String {
                try await bob.expect(201, "POST", "/api/issues?workspace_id=\(workspace)", object: [
                    "title": .string(title), "status": .string(status), "priority": .string(priority),
                    "assignee_type": .string("agent"), "assignee_id": .string(agentID),
                ]).string("id")
            }
            let low = try await issue("Low", "todo", "low")
            let urgent = try await issue("Urgent", "todo", "urgent")
            let parked = try await issue("Parked", "backlog", "high")
            let head = try await bob.headSeq(workspace)

            // Claim: the urgent one first; then nothing while at max_concurrent_tasks.
            let claimPath = "/api/daemon/agents/\(agentID)/tasks/claim"
            let first = try await daemon.expect(200, "POST", claimPath)
            #expect(first.string("issue_id") == urgent)
            #expect(first.string("status") == "dispatched")
            #expect(first["priority"]?.intValue == 4)
            let taskID = first.string("id")
            let busy = try await daemon.send("POST", claimPath)
            #expect(busy.status == 204)

            let started = try await daemon.expect(200, "POST", "/api/daemon/tasks/\(taskID)/start")
            #expect(started.string("status") == "running")
            #expect(try await bob.expect(200, "GET", "/api/issues/\(urgent)").string("status") == "in_progress")
            try await daemon.expect(200, "POST", "/api/daemon/tasks/\(taskID)/progress", object: [
                "summary": .string("halfway"), "step": .int(1), "total": .int(2),
            ])
            try await daemon.expect(400, "POST", "/api/daemon/tasks/\(taskID)/progress", object: ["summary": .string(" ")])
            let completed = try await daemon.expect(200, "POST", "/api/daemon/tasks/\(taskID)/complete", object: ["result": .string("done")])
            #expect(completed.string("status") == "completed")
            try await daemon.expect(409, "POST", "/api/daemon/tasks/\(taskID)/complete")
            #expect(try await bob.expect(200, "GET", "/api/issues/\(urgent)").string("status") == "in_review")

            // Bob (the creator) sees the review request; the daemon's member does not.
            let bobEvents = try await bob.events(workspace, since: head)
            #expect(bobEvents.map(\.type.rawValue) == [
                "agent:status", "task:dispatch", "issue:updated", "task:progress",
                "issue:updated", "inbox:new", "agent:status", "task:completed",
            ])
            #expect(bobEvents.allSatisfy { $0.actorType == .agent && $0.actorID == agentID })
            #expect(bobEvents[0].payloadJSON["agent"]?.string("status") == "working")
            let dispatch = bobEvents[1].payloadJSON
            #expect(dispatch.string("task_id") == taskID)
            #expect(dispatch.string("agent_id") == agentID)
            #expect(dispatch.string("issue_id") == urgent)
            #expect(dispatch.string("workspace_id") == workspace)
            #expect(dispatch["priority"]?.intValue == 4)
            #expect(bobEvents[3].payloadJSON == .object([
                "task_id": .string(taskID), "summary": .string("halfway"), "step": .int(1), "total": .int(2),
            ]))
            #expect(bobEvents[4].payloadJSON["issue"]?.string("status") == "in_review")
            let review = try #require(bobEvents[5].payloadJSON["item"])
            #expect(review.string("recipient_id") == "bob")
            #expect(review.string("type") == "review_requested")
            #expect(review.string("severity") == "attention")
            #expect(review.string("title") == "Review requested: Urgent")
            #expect(bobEvents[6].payloadJSON["agent"]?.string("status") == "idle")
            #expect(bobEvents[7].payloadJSON == .object([
                "task_id": .string(taskID), "agent_id": .string(agentID), "issue_id": .string(urgent), "status": .string("completed"),
            ]))
            #expect(try await daemon.events(workspace, since: head).filter { $0.type.isPersonal }.isEmpty)

            // Next claim: the low-priority one; it fails.
            let second = try await daemon.expect(200, "POST", claimPath)
            #expect(second.string("issue_id") == low)
            let head2 = try await bob.headSeq(workspace)
            let failed = try await daemon.expect(200, "POST", "/api/daemon/tasks/\(second.string("id"))/fail", object: ["error": .string("no disk")])
            #expect(failed.string("status") == "failed")
            let failEvents = try await bob.events(workspace, since: head2)
            #expect(failEvents.map(\.type.rawValue) == ["inbox:new", "agent:status", "task:failed"])
            #expect(failEvents[0].payloadJSON["item"]?.string("title") == "Agent blocked: Low")
            #expect(failEvents[0].payloadJSON["item"]?.string("severity") == "action_required")
            #expect(failEvents[2].payloadJSON["status"]?.stringValue == "failed")

            // Nothing queued now; moving the parked issue to todo enqueues, moving it back cancels.
            #expect(try await daemon.send("POST", claimPath).status == 204)
            try await bob.expect(200, "PUT", "/api/issues/\(parked)", object: ["status": .string("todo")])
            try await bob.expect(200, "PUT", "/api/issues/\(parked)", object: ["status": .string("backlog")])
            #expect(try await daemon.send("POST", claimPath).status == 204)
            try await bob.expect(200, "PUT", "/api/issues/\(parked)", object: ["status": .string("todo")])
            let third = try await daemon.expect(200, "POST", claimPath)
            #expect(third.string("issue_id") == parked)
            #expect(third["priority"]?.intValue == 3)
            // Reassigning the issue cancels its dispatched task and sets the agent idle.
            let head3 = try await bob.headSeq(workspace)
            try await bob.expect(200, "PUT", "/api/issues/\(parked)", object: ["assignee_type": .null, "assignee_id": .null])
            let cancelEvents = try await bob.events(workspace, since: head3)
            #expect(cancelEvents.map(\.type.rawValue) == ["issue:updated", "agent:status"])
            #expect(cancelEvents[1].payloadJSON["agent"]?.string("status") == "idle")
            try await daemon.expect(409, "POST", "/api/daemon/tasks/\(third.string("id"))/start")

            // Access: unknown ids are 404, strangers 403, no token 401.
            let mallory = try await server.client("mallory")
            try await mallory.expect(403, "POST", claimPath)
            try await mallory.expect(403, "POST", "/api/daemon/tasks/\(taskID)/start")
            try await daemon.expect(404, "POST", "/api/daemon/agents/agt_nope/tasks/claim")
            try await daemon.expect(404, "POST", "/api/daemon/tasks/task_nope/start")
            #expect(try await daemon.withoutToken().send("POST", claimPath).status == 401)
        }
    }

    @Test func claimRespectsMaxConcurrentTasksAndPriorityOrder() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let agent = try await alice.expect(201, "POST", "/api/agents", object: [
                "workspace_id": .string(workspace), "name": .string("pair"), "max_concurrent_tasks": .int(2),
            ])
            let agentID = agent.string("id")
            var byPriority: [String: String] = [:]
            for priority in ["none", "medium", "urgent", "low", "high"] {
                let issue = try await alice.expect(201, "POST", "/api/issues?workspace_id=\(workspace)", object: [
                    "title": .string(priority), "status": .string("todo"), "priority": .string(priority),
                    "assignee_type": .string("agent"), "assignee_id": .string(agentID),
                ])
                byPriority[issue.string("id")] = priority
            }
            let claimPath = "/api/daemon/agents/\(agentID)/tasks/claim"
            var order: [String] = []
            for _ in 0..<2 { order.append(byPriority[try await alice.expect(200, "POST", claimPath).string("issue_id")] ?? "?") }
            #expect(try await alice.send("POST", claimPath).status == 204)
            // Finishing one frees a slot; the agent stays working while the other runs.
            let tasks = try await alice.events(workspace).filter { $0.type == .taskDispatch }.map { $0.payloadJSON.string("task_id") }
            let head = try await alice.headSeq(workspace)
            try await alice.expect(200, "POST", "/api/daemon/tasks/\(tasks[0])/complete")
            let status = try await alice.events(workspace, since: head).first { $0.type == .agentStatus }
            #expect(status?.payloadJSON["agent"]?.string("status") == "working")
            for _ in 0..<3 {
                let claimed = try await alice.expect(200, "POST", claimPath)
                order.append(byPriority[claimed.string("issue_id")] ?? "?")
                try await alice.expect(200, "POST", "/api/daemon/tasks/\(claimed.string("id"))/fail")
            }
            #expect(order == ["urgent", "high", "medium", "low", "none"])
        }
    }

    @Test func deletingAnIssueCancelsItsTaskAndReleasesTheAgent() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let agentID = try await alice.expect(201, "POST", "/api/agents?workspace_id=\(workspace)", object: ["name": .string("bot")]).string("id")
            let issue = try await alice.expect(201, "POST", "/api/issues?workspace_id=\(workspace)", object: [
                "title": .string("T"), "status": .string("todo"), "assignee_type": .string("agent"), "assignee_id": .string(agentID),
            ])
            #expect(try server.rowCount("agent_task") == 1)
            let task = try await alice.expect(200, "POST", "/api/daemon/agents/\(agentID)/tasks/claim")
            let head = try await alice.headSeq(workspace)
            try await alice.expect(204, "DELETE", "/api/issues/\(issue.string("id"))")
            let events = try await alice.events(workspace, since: head)
            #expect(events.map(\.type.rawValue) == ["issue:deleted", "agent:status"])
            #expect(events[1].payloadJSON["agent"]?.string("status") == "idle")
            #expect(try server.rowCount("agent_task") == 0)
            try await alice.expect(404, "POST", "/api/daemon/tasks/\(task.string("id"))/complete")
        }
    }

    @Test func agentRoutesValidateAndPublish() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let bob = try await server.client("bob")
            let workspace = try await alice.createWorkspace()
            try await alice.addMember("bob", to: workspace)
            let head = try await alice.headSeq(workspace)
            let path = "/api/agents?workspace_id=\(workspace)"
            let bad = try await alice.send("POST", path, json: #"{"name":"x","visibility":"secret"}"#)
            #expect(bad.status == 400)
            #expect(bad.error?.contains("visibility") == true)
            #expect(bad.error?.contains("workspace, private") == true)
            #expect(try await alice.send("POST", path, json: #"{"name":"x","max_concurrent_tasks":0}"#).status == 400)
            #expect(try await alice.send("POST", path, json: #"{"name":"x","owner_id":"stranger"}"#).status == 400)
            #expect(try await alice.send("POST", path, json: #"{"name":" "}"#).status == 400)
            let hidden = try await alice.expect(201, "POST", path, object: ["name": .string("secret"), "visibility": .string("private")])
            let shared = try await alice.expect(201, "POST", path, object: ["name": .string("shared")])
            #expect(try await bob.expect(200, "GET", path).arrayValue?.map { $0.string("name") } == ["shared"])
            #expect(try await alice.expect(200, "GET", path).arrayValue?.count == 2)
            try await bob.expect(403, "PUT", "/api/agents/\(shared.string("id"))", object: ["status": .string("offline")])
            let badStatus = try await alice.send("PUT", "/api/agents/\(shared.string("id"))", json: #"{"status":"sleeping"}"#)
            #expect(badStatus.status == 400)
            #expect(badStatus.error?.contains("idle, working, blocked, error, offline") == true)
            let offline = try await alice.expect(200, "PUT", "/api/agents/\(shared.string("id"))", object: ["status": .string("offline")])
            #expect(offline.string("status") == "offline")
            #expect(offline.string("name") == "shared")
            // Deleting an agent unassigns its issues.
            let issue = try await bob.expect(201, "POST", "/api/issues?workspace_id=\(workspace)", object: [
                "title": .string("T"), "assignee_type": .string("agent"), "assignee_id": .string(shared.string("id")),
            ])
            try await bob.expect(403, "DELETE", "/api/agents/\(hidden.string("id"))")
            try await alice.expect(204, "DELETE", "/api/agents/\(shared.string("id"))")
            #expect(try await bob.expect(200, "GET", "/api/issues/\(issue.string("id"))")["assignee_id"] == .null)
            let types = try await alice.events(workspace, since: head).map(\.type.rawValue)
            #expect(types == ["agent:created", "agent:created", "agent:status", "issue:created", "agent:deleted", "issue:updated"])
            let deleted = try await alice.events(workspace, since: head).first { $0.type == .agentDeleted }
            #expect(deleted?.payloadJSON == .object(["agent_id": .string(shared.string("id")), "workspace_id": .string(workspace)]))
        }
    }
}
