import Foundation
import Testing
@testable import MulticaKit

/// Every refused request answers the right 4xx and changes nothing: no row, no event.
@Suite("API request validation")
struct APIValidationTests {
    @Test func refusedIssueRequestsChangeNothing() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let workspace = try await alice.createWorkspace()
            let other = try await (try await server.client("zed")).createWorkspace("Other")
            let foreignAgent = try await (try await server.client("zed")).expect(201, "POST", "/api/agents?workspace_id=\(other)", object: ["name": .string("z")])
            let head = try await alice.headSeq(workspace)
            let path = "/api/issues?workspace_id=\(workspace)"

            let cases: [(String, Int, String?)] = [
                (#"{"title":"#, 400, "malformed JSON"),
                (#"{"title":5}"#, 400, "field 'title': expected a string"),
                (#"["title"]"#, 400, nil),
                (#"{"description":"no title"}"#, 400, "field 'title' is required"),
                (#"{"title":"   "}"#, 400, "field 'title' must be 1 to 500 characters"),
                (#"{"title":"T","status":"doing"}"#, 400, "field 'status': unknown value 'doing' (expected one of: backlog, todo, in_progress, in_review, done, blocked, cancelled)"),
                (#"{"title":"T","priority":"asap"}"#, 400, "field 'priority': unknown value 'asap' (expected one of: urgent, high, medium, low, none)"),
                (#"{"title":"T","assignee_type":"robot","assignee_id":"x"}"#, 400, "field 'assignee_type': unknown value 'robot' (expected one of: member, agent)"),
                (#"{"title":"T","assignee_type":"member"}"#, 400, "fields 'assignee_type' and 'assignee_id' go together: give both or neither"),
                (#"{"title":"T","assignee_id":"alice"}"#, 400, "fields 'assignee_type' and 'assignee_id' go together: give both or neither"),
                (#"{"title":"T","assignee_type":"member","assignee_id":"stranger"}"#, 400, "field 'assignee_id': no member 'stranger' in this workspace"),
                (#"{"title":"T","assignee_type":"agent","assignee_id":"\#(foreignAgent.string("id"))"}"#, 400, nil),
                (#"{"title":"T","parent_issue_id":"iss_nope"}"#, 400, nil),
                (#"{"title":"T","position":"first"}"#, 400, "field 'position': expected a number"),
                (#"{"title":"T","due_date":"tomorrow"}"#, 400, nil),
                (#"{"title":"T","status":null}"#, 400, "field 'status' must not be null"),
                ("", 400, "request body required"),
            ]
            for (body, status, message) in cases {
                let response = try await alice.send("POST", path, json: body)
                #expect(response.status == status, "\(body) → \(response)")
                if let message { #expect(response.error?.hasPrefix(message) == true, "\(body): \(response)") }
                #expect(response.error != nil, "\(body) answers {\"error\"}")
            }
            // Too large: 413, nothing read past the cap.
            let huge = #"{"title":"T","description":""# + String(repeating: "x", count: 1024 * 1024 + 16) + #""}"#
            let tooLarge = try await alice.send("POST", path, json: huge)
            #expect(tooLarge.status == 413, "\(tooLarge.status)")
            // No token, bad token, no workspace, not a member.
            #expect(try await alice.withoutToken().send("POST", path, json: #"{"title":"T"}"#).status == 401)
            #expect(try await APIClient(port: server.port, token: "x.y.z", userID: "x").send("POST", path, json: #"{"title":"T"}"#).status == 401)
            #expect(try await alice.send("POST", "/api/issues", json: #"{"title":"T"}"#).status == 400)
            let mismatch = try await alice.send("POST", path, json: #"{"title":"T","workspace_id":"\#(other)"}"#)
            #expect(mismatch.status == 400)
            let stranger = try await alice.send("POST", "/api/issues?workspace_id=\(other)", json: #"{"title":"T"}"#)
            #expect(stranger.status == 403)
            #expect(stranger.error == "not a member of this workspace")
            #expect(try await alice.send("GET", "/api/issues?workspace_id=\(workspace)&status=doing").status == 400)

            #expect(try server.rowCount("issue") == 0)
            #expect(try server.rowCount("inbox_item") == 0)
            #expect(try await alice.expect(200, "GET", path).arrayValue?.isEmpty == true)
            #expect(try await alice.headSeq(workspace) == head)
        }
    }

    @Test func refusedUpdatesLeaveTheIssueAsItWas() async throws {
        try await LiveServer.with { server in
            let alice = try await server.client("alice")
            let zed = try await server.client("zed")
            let workspace = try await alice.createWorkspace()
            let other = try await zed.createWorkspace("Other")
            let foreign = try await zed.expect(201, "POST", "/api/issues?workspace_id=\(other)", object: ["title": .string("theirs")])
            let issue = try await alice.expect(201, "POST", "/api/issues?workspace_id=\(workspace)", object: ["title": .string("T")])
            let id = issue.string("id")
            let head = try await alice.headSeq(workspace)
            for body in [
                #"{"title":""}"#, #"{"status":"doing"}"#, #"{"assignee_type":"member"}"#,
                #"{"assignee_type":"member","assignee_id":null}"#, #"{"parent_issue_id":"\#(id)"}"#, #"{"title":"#,
                #"{"workspace_id":"\#(other)"}"#,
            ] {
                let response = try await alice.send("PUT", "/api/issues/\(id)", json: body)
                #expect(response.status == 400, "\(body) → \(response)")
            }
            #expect(try await alice.send("PUT", "/api/issues/iss_nope", json: #"{"title":"x"}"#).status == 404)
            #expect(try await alice.send("GET", "/api/issues/\(foreign.string("id"))").status == 403)
            #expect(try await alice.send("PUT", "/api/issues/\(foreign.string("id"))", json: #"{"title":"x"}"#).status == 403)
            #expect(try await alice.send("DELETE", "/api/issues/\(foreign.string("id"))").status == 403)
            #expect(try await alice.send("POST", "/api/issues/\(foreign.string("id"))/comments", json: #"{"content":"x"}"#).status == 403)
            #expect(try await alice.withoutToken().send("DELETE", "/api/issues/\(id)").status == 401)
            let stored = try await alice.expect(200, "GET", "/api/issues/\(id)")
            #expect(stored == issue)
            #expect(try await alice.headSeq(workspace) == head)
            #expect(try server.rowCount("issue") == 2)
            #expect(try server.rowCount("comment") == 0)
        }
    }
}
