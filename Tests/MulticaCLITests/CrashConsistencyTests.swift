import Foundation
import MulticaKit
import MulticaTestSupport
import NIOHTTP1
import Synchronization
import Testing

/// SPEC §4: a client that builds its state only from the event stream ends equal to the
/// REST state, also after the server is killed with SIGKILL in the middle of concurrent
/// writes and restarted.
@Suite("Crash consistency", .serialized)
struct CrashConsistencyTests {
    static let writers = 16
    static let kills = 5

    @Test func replayedStreamEqualsRESTStateAfterRepeatedSIGKILL() async throws {
        let serve = try await ServeProcess()
        defer { serve.stop() }
        try await killAndCompare(serve)
    }

    /// The same on PostgreSQL (issue 9): the unit of work's second implementation.
    @Test(.enabled(if: PostgresCluster.enabled))
    func replayedStreamEqualsRESTStateAfterRepeatedSIGKILLOnPostgreSQL() async throws {
        let cluster = try await PostgresCluster.shared()
        let location = try await cluster.makeDatabase("crash")
        let url = "postgres://\(location.user):unused@\(location.host):\(location.port)/\(location.database)"
        let serve = try await ServeProcess(databasePath: url)
        defer { serve.stop() }
        try await killAndCompare(serve)
    }

    private func killAndCompare(_ serve: ServeProcess) async throws {
        let users = (0..<4).map { "user\($0)" }
        var minted: [String: String] = [:]
        for user in users {
            let result = try await CLI.run(["token", "mint", "--user", user, "-q"], environment: serve.environment)
            minted[user] = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let tokens = minted
        let owner = Client(port: serve.port, token: tokens["user0"]!)
        defer { Task { await owner.shutdown() } }
        let workspace = try await owner.object("POST", "/api/workspaces", ["name": "Crash"]).string("id")
        for user in users.dropFirst() {
            _ = try await owner.object("POST", "/api/workspaces/\(workspace)/members", ["user_id": user, "role": "admin"])
        }
        let agent = try await owner.object("POST", "/api/agents", ["workspace_id": workspace, "name": "bot", "max_concurrent_tasks": 4])
            .string("id")
        var issues: [String] = []
        for i in 0..<4 {
            issues.append(try await owner.object("POST", "/api/issues", ["workspace_id": workspace, "title": "seed \(i)"]).string("id"))
        }
        let seed = Seed(workspace: workspace, agent: agent, issues: issues, users: users)

        for round in 0..<Self.kills {
            let port = serve.port
            let state = RoundState()
            let writers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for w in 0..<Self.writers {
                        let user = users[w % users.count]
                        let client = Client(port: port, token: tokens[user]!)
                        group.addTask {
                            await Self.write(client, seed: seed, writer: w, round: round, state: state)
                            await client.shutdown()
                        }
                    }
                }
            }
            // Kill at a different moment of each round, mid-write: after a growing number
            // of answered writes (not a fixed time: a loaded machine answers slowly).
            let target = 15 * (round + 1)
            let deadline = ContinuousClock.now + .seconds(30)
            while state.accepted.load(ordering: .relaxed) < target, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...60)))
            serve.process.signal(SIGKILL)
            state.stopped.store(true, ordering: .relaxed)
            await writers.value
            #expect(state.accepted.load(ordering: .relaxed) > 0, "round \(round): no write was accepted before the kill")
            try await serve.restart()
        }

        let checker = Client(port: serve.port, token: tokens["user0"]!)
        defer { Task { await checker.shutdown() } }
        // The replica: every event since 0, as each user sees the history (inbox items
        // are routed to their recipient only).
        var replica = Replica()
        var ownerEvents: [EventEnvelope] = []
        for user in users {
            let reader = Client(port: serve.port, token: tokens[user]!)
            let events = try await reader.allEvents(workspace)
            await reader.shutdown()
            if user == "user0" { ownerEvents = events }
            replica.apply(events, viewer: user)
        }
        // Dense seqs: the owner sees every non-inbox event, and its own inbox ones.
        let seqs = ownerEvents.map(\.seq)
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        let head = try await checker.allEventsHead(workspace)
        #expect(Int64(Set(try await allSeqs(users: users, tokens: tokens, port: serve.port, workspace: workspace)).count) == head,
                "seq is dense 1…head across all recipients")

        let restIssues = try await checker.array("GET", "/api/issues?workspace_id=\(workspace)")
        #expect(replica.issues.count == restIssues.count)
        var mismatches: [String] = []
        for issue in restIssues where replica.issues[issue.string("id")] != issue {
            mismatches.append("issue \(issue.string("id")): stream \(String(describing: replica.issues[issue.string("id")])) REST \(issue)")
        }
        for issue in restIssues {
            let comments = try await checker.array("GET", "/api/issues/\(issue.string("id"))/comments")
            for comment in comments where replica.comments[comment.string("id")] != comment {
                mismatches.append("comment \(comment.string("id"))")
            }
            #expect(comments.count == replica.comments.values.filter { $0.string("issue_id") == issue.string("id") }.count)
        }
        let restAgents = try await checker.array("GET", "/api/agents?workspace_id=\(workspace)")
        #expect(restAgents.count == replica.agents.count)
        for agent in restAgents where replica.agents[agent.string("id")] != agent {
            mismatches.append("agent \(agent.string("id")): stream \(String(describing: replica.agents[agent.string("id")])) REST \(agent)")
        }
        for user in users {
            let reader = Client(port: serve.port, token: tokens[user]!)
            let inbox = try await reader.array("GET", "/api/inbox?workspace_id=\(workspace)")
            await reader.shutdown()
            let streamed = replica.inbox.values.filter { $0.string("recipient_id") == user && $0["archived"] != .bool(true) }
            #expect(inbox.count == streamed.count, "inbox of \(user)")
            for item in inbox where replica.inbox[item.string("id")] != item { mismatches.append("inbox item \(item.string("id"))") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) objects differ: \(mismatches.prefix(5))")
        #expect(replica.issues.count >= 4)
    }

    private func allSeqs(users: [String], tokens: [String: String], port: Int, workspace: String) async throws -> [Int64] {
        var seqs: [Int64] = []
        for user in users {
            let reader = Client(port: port, token: tokens[user]!)
            seqs += try await reader.allEvents(workspace).map(\.seq)
            await reader.shutdown()
        }
        return seqs
    }

    struct Seed: Sendable {
        let workspace: String
        let agent: String
        let issues: [String]
        let users: [String]
    }

    /// One writer's loop until the kill: creates and updates issues, comments and the
    /// agent, and moves tasks (todo with the agent → claim → start → complete or fail).
    static func write(_ client: Client, seed: Seed, writer: Int, round: Int, state: RoundState) async {
        var step = 0
        while !state.stopped.load(ordering: .relaxed), step < 400 {
            step += 1
            let issue = seed.issues[(writer + step) % seed.issues.count]
            let tag = "w\(writer)r\(round)s\(step)"
            let statuses = ["backlog", "todo", "in_progress", "done"]
            let request: (String, String, [String: any Sendable]?)
            switch (writer + step) % 9 {
            case 0: request = ("POST", "/api/issues", ["workspace_id": seed.workspace, "title": "new \(tag)"])
            case 1: request = ("PUT", "/api/issues/\(issue)", ["title": "title \(tag)"])
            case 2: request = ("PUT", "/api/issues/\(issue)", ["status": statuses[step % statuses.count]])
            case 3: request = ("PUT", "/api/issues/\(issue)", ["assignee_type": "member", "assignee_id": seed.users[step % seed.users.count]])
            case 4: request = ("POST", "/api/issues/\(issue)/comments", ["content": "comment \(tag)"])
            case 5: request = ("PUT", "/api/agents/\(seed.agent)", ["description": "desc \(tag)"])
            case 6: request = ("PUT", "/api/issues/\(issue)", ["status": "todo", "assignee_type": "agent", "assignee_id": seed.agent])
            case 7: request = ("PUT", "/api/issues/\(issue)", ["priority": ["urgent", "low"][step % 2], "description": "d \(tag)"])
            default:
                // Claim the agent's next task and move it forward.
                guard let task = try? await client.claim(agent: seed.agent) else { continue }
                _ = try? await client.status("POST", "/api/daemon/tasks/\(task)/start", nil)
                request = ("POST", "/api/daemon/tasks/\(task)/\(step % 2 == 0 ? "complete" : "fail")", nil)
            }
            if let status = try? await client.status(request.0, request.1, request.2), status < 500 {
                state.accepted.add(1, ordering: .relaxed)
            }
        }
    }
}

/// What the writers of one round share: the stop flag and how many writes were answered.
final class RoundState: Sendable {
    let stopped = Atomic<Bool>(false)
    let accepted = Atomic<Int>(0)
}

/// The state a client keeps from the event stream alone, as the original web app's stores.
struct Replica {
    var issues: [String: JSONValue] = [:]
    var comments: [String: JSONValue] = [:]
    var agents: [String: JSONValue] = [:]
    var inbox: [String: JSONValue] = [:]

    mutating func apply(_ events: [EventEnvelope], viewer: String) {
        for event in events {
            let payload = (try? JSONDecoder().decode(JSONValue.self, from: Data(event.payload.bytes))) ?? .null
            switch event.type.rawValue {
            case "issue:created", "issue:updated": issues[payload["issue"]!.string("id")] = payload["issue"]
            case "issue:deleted":
                issues[payload.string("issue_id")] = nil
                comments = comments.filter { $0.value.string("issue_id") != payload.string("issue_id") }
            case "comment:created", "comment:updated": comments[payload["comment"]!.string("id")] = payload["comment"]
            case "comment:deleted": comments[payload.string("comment_id")] = nil
            case "agent:created", "agent:status": agents[payload["agent"]!.string("id")] = payload["agent"]
            case "agent:deleted": agents[payload.string("agent_id")] = nil
            case "inbox:new": inbox[payload["item"]!.string("id")] = payload["item"]
            case "inbox:read": inbox[payload.string("item_id")]?.set("read", .bool(true))
            case "inbox:archived": inbox[payload.string("item_id")]?.set("archived", .bool(true))
            default: break
            }
        }
    }
}

extension JSONValue {
    func string(_ key: String) -> String { self[key]?.stringValue ?? "" }

    mutating func set(_ key: String, _ value: JSONValue) {
        if case .object(var members) = self {
            members[key] = value
            self = .object(members)
        }
    }
}

/// A REST client for one user, on the kit's own HTTP client; every call is bounded by
/// the client's timeout.
final class Client: Sendable {
    let http: MulticaHTTPClient

    init(port: Int, token: String) {
        http = MulticaHTTPClient(server: try! ServerAddress("http://127.0.0.1:\(port)"), token: token, timeout: .seconds(5))
    }

    func shutdown() async { await http.shutdown() }

    func status(_ method: String, _ path: String, _ body: [String: any Sendable]?) async throws -> Int {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        return try await http.send(HTTPMethod(rawValue: method), path, body: bytes ?? (method == "GET" ? nil : [])).status
    }

    func value(_ method: String, _ path: String, _ body: [String: any Sendable]? = nil) async throws -> JSONValue {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        let response = try await http.send(HTTPMethod(rawValue: method), path, body: bytes)
        guard response.isSuccess else {
            throw ClientFailure(description: "\(method) \(path) → \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return try JSONDecoder().decode(JSONValue.self, from: Data(response.body))
    }

    func object(_ method: String, _ path: String, _ body: [String: any Sendable]) async throws -> JSONValue {
        try await value(method, path, body)
    }

    func array(_ method: String, _ path: String) async throws -> [JSONValue] {
        guard case .array(let values) = try await value(method, path) else { throw ClientFailure(description: "\(path): not an array") }
        return values
    }

    /// Every event of the workspace this user may see, oldest first.
    func allEvents(_ workspace: String) async throws -> [EventEnvelope] {
        var events: [EventEnvelope] = []
        var since: Int64 = 0
        while true {
            let response = try await http.send(.GET, "/api/events?workspace_id=\(workspace)&since=\(since)&limit=1000")
            struct Page: Decodable {
                let events: [EventEnvelope]
                let head_seq: Int64
            }
            let page = try JSONDecoder().decode(Page.self, from: Data(response.body))
            events += page.events
            guard let last = page.events.last, last.seq < page.head_seq else { return events }
            since = last.seq
        }
    }

    func allEventsHead(_ workspace: String) async throws -> Int64 {
        try await value("GET", "/api/events?workspace_id=\(workspace)&limit=1")["head_seq"]?.intValue ?? -1
    }

    /// Claims the agent's next queued task; its id, or nil when none is queued.
    func claim(agent: String) async throws -> String? {
        let response = try await http.send(.POST, "/api/daemon/agents/\(agent)/tasks/claim", body: [])
        guard response.status == 200 else { return nil }
        return try JSONDecoder().decode(JSONValue.self, from: Data(response.body)).string("id")
    }
}

struct ClientFailure: Error, CustomStringConvertible {
    let description: String
}

extension JSONValue {
    var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }
}
