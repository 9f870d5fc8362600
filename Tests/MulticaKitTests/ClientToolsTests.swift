import Foundation
import Testing
@testable import MulticaKit

@Suite struct PayloadGeneratorTests {
    let generator = PayloadGenerator(workspaceID: "ws_test", recipientID: "usr_me")

    func object(_ type: EventType) throws -> [String: JSONValue] {
        let payload = try #require(generator.payload(for: type), "no payload for \(type)")
        _ = try JSONScanner.objectMembers(payload.bytes)
        guard case .object(let members) = try EventJSON.decoder.decode(JSONValue.self, from: Data(payload.bytes)) else {
            Issue.record("\(type) is not an object"); return [:]
        }
        return members
    }

    @Test(arguments: EventType.catalog)
    func everyCatalogTypeHasAValidObject(type: EventType) throws {
        let payload = try object(type)
        #expect(!payload.isEmpty)
        #expect(try #require(generator.payload(for: type)).bytes.count < 64 * 1024)
    }

    @Test func enumsAndIdsAreValid() throws {
        for _ in 0..<20 {
            let issue = try #require(try object(.issueCreated)["issue"])
            #expect(PayloadGenerator.issueStatuses.contains(issue["status"]?.stringValue ?? ""))
            #expect(PayloadGenerator.priorities.contains(issue["priority"]?.stringValue ?? ""))
            #expect(issue["id"]?.stringValue?.hasPrefix("iss_") == true)
            #expect(issue["workspace_id"]?.stringValue == "ws_test")
            #expect(Timestamp.parse(issue["created_at"]?.stringValue ?? "") != nil)
            let comment = try #require(try object(.commentUpdated)["comment"])
            #expect(PayloadGenerator.commentTypes.contains(comment["type"]?.stringValue ?? ""))
            let agent = try #require(try object(.agentStatus)["agent"])
            #expect(PayloadGenerator.agentStatuses.contains(agent["status"]?.stringValue ?? ""))
            #expect(["local", "cloud"].contains(agent["runtime_mode"]?.stringValue ?? ""))
            #expect(["workspace", "private"].contains(agent["visibility"]?.stringValue ?? ""))
            #expect(try object(.taskCompleted)["status"]?.stringValue == "completed")
            #expect(try object(.taskFailed)["status"]?.stringValue == "failed")
            let item = try #require(try object(.inboxNew)["item"])
            #expect(PayloadGenerator.severities.contains(item["severity"]?.stringValue ?? ""))
            #expect(item["recipient_id"]?.stringValue == "usr_me")
            let member = try #require(try object(.memberAdded)["member"])
            #expect(PayloadGenerator.roles.contains(member["role"]?.stringValue ?? ""))
        }
    }

    @Test func personalEventsNameTheirRecipient() throws {
        for type in [EventType.inboxNew, .inboxRead, .inboxArchived] {
            let payload = try #require(generator.payload(for: type))
            let envelope = EventEnvelope(id: "evt_1", seq: 1, type: type, workspaceID: "ws_test", actorType: .member,
                                         actorID: "usr_me", timestamp: Date(), synthetic: true, payload: payload)
            #expect(envelope.recipientID == "usr_me", "\(type)")
        }
    }

    @Test func customTypesHaveNoGeneratedPayload() throws {
        #expect(generator.payload(for: try #require(EventType(rawValue: "acme:deploy"))) == nil)
    }
}

@Suite struct TypeFilterTests {
    @Test(arguments: [
        ("issue:*", "issue:created", true), ("issue:*", "comment:created", false), ("*:created", "agent:created", true),
        ("*", "x:y", true), ("issue:?reated", "issue:created", true), ("issue:created", "issue:created", true),
        ("issue:created", "issue:created2", false), ("*:*ed", "task:failed", true), ("task:*ed", "task:progress", false),
        ("", "issue:created", false), ("i*e*:*", "issue:deleted", true),
    ])
    func glob(pattern: String, type: String, expected: Bool) {
        #expect(TypeFilter.match(glob: pattern, type) == expected)
    }

    @Test func severalGlobsAreOrAndNoneMatchesAll() {
        #expect(TypeFilter([]).matches("anything:at_all"))
        let filter = TypeFilter(["issue:*", "inbox:new"])
        #expect(filter.matches("inbox:new") && filter.matches("issue:deleted") && !filter.matches("inbox:read"))
    }
}

@Suite struct ClientBasicsTests {
    @Test func backoffGrowsWithJitterAndCaps() {
        let backoff = Backoff()
        for attempt in 0..<12 {
            let upper = min(Duration.seconds(30), .seconds(1) * (1 << attempt))
            let d = backoff.delay(attempt: attempt)
            #expect(d >= upper / 2 && d <= upper, "attempt \(attempt): \(d)")
        }
    }

    @Test func serverAddresses() throws {
        let a = try ServerAddress("http://127.0.0.1:8080")
        #expect(a.host == "127.0.0.1" && a.port == 8080 && a.basePath == "")
        let b = try ServerAddress("http://example.com/multica/")
        #expect(b.port == 80 && b.basePath == "/multica" && b.url("/api/x") == "http://example.com:80/multica/api/x")
        #expect(throws: ClientError.self) { try ServerAddress("https://example.com") }
        #expect(throws: ClientError.self) { try ServerAddress("nonsense") }
    }

    @Test func errorMessageComesFromTheBody() {
        #expect(ClientError.message(fromBody: Array(#"{"error":"not a member of this workspace"}"#.utf8), status: 403)
            == "not a member of this workspace")
        #expect(ClientError.message(fromBody: Array("plain text".utf8), status: 500) == "plain text")
        #expect(ClientError.message(fromBody: [], status: 404) == "Not Found")
    }

    @Test func unreachableServerNamesTheURL() async throws {
        let client = MulticaClient(server: try ServerAddress("http://127.0.0.1:1"), token: "t", timeout: .seconds(5))
        do {
            _ = try await client.listWorkspaces()
            Issue.record("expected an error")
        } catch {
            #expect(error == .unreachable(url: "http://127.0.0.1:1", reason: "connection refused"))
            #expect(error.isUnreachable)
        }
        do {
            _ = try await MulticaSocket.connect(server: try ServerAddress("http://127.0.0.1:1"), token: "t",
                                                workspaceID: "w", since: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.isUnreachable)
        }
    }

    @Test func expiryNoteReadsExpWithoutVerifying() {
        let header = Base64URL.encode(Array(#"{"alg":"HS256"}"#.utf8))
        let past = Base64URL.encode(Array(#"{"sub":"u","exp":1000}"#.utf8))
        let future = Base64URL.encode(Array(#"{"sub":"u","exp":99999999999}"#.utf8))
        #expect(TokenInspection.expiryNote("\(header).\(past).sig") == "token expired at 1970-01-01T00:16:40.000Z")
        #expect(TokenInspection.expiryNote("\(header).\(future).sig") == nil)
        #expect(TokenInspection.expiryNote("garbage") == nil)
    }
}
