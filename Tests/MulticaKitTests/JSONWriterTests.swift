import Foundation
import Testing
@testable import MulticaKit

/// The hand-written JSON of the hot routes must be byte for byte what Foundation's
/// encoder (`EventJSON.encoder`) makes of the same value.
@Suite("JSON writer")
struct JSONWriterTests {
    static func foundation<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try EventJSON.encoder.encode(value), as: UTF8.self)
    }

    static func written<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONCoding.encode(value), as: UTF8.self)
    }

    static func issue(
        title: String = "Fix login", description: String? = nil, position: Double = 1, due: Date? = nil,
        criteria: [String] = [], refs: [JSONValue] = [], assigned: Bool = false
    ) -> MulticaKit.Issue {
        MulticaKit.Issue(
            id: "iss_01", workspaceID: "ws_01", title: title, description: description, status: .inProgress,
            priority: .high, assigneeType: assigned ? .agent : nil, assigneeID: assigned ? "agt_1" : nil,
            creatorType: .member, creatorID: "alice", parentIssueID: assigned ? "iss_00" : nil,
            acceptanceCriteria: criteria, contextRefs: refs, position: position, dueDate: due,
            createdAt: Date(timeIntervalSince1970: 1_764_000_000.123), updatedAt: Date(timeIntervalSince1970: 1_764_000_001.5),
            version: 7
        )
    }

    @Test func issuesMatchFoundation() throws {
        let issues = [
            Self.issue(),
            Self.issue(description: "multi\nline \"quoted\" \\ back/slash\t\u{8}\u{c}\u{1}\u{1f}\u{7f} é 漢字 🎉 \u{2028}", assigned: true),
            Self.issue(position: 2.5, due: Date(timeIntervalSince1970: 0)),
            Self.issue(position: -0.125, due: Date(timeIntervalSince1970: -86_400.5)),
            Self.issue(position: 1e21, criteria: ["works", "", "a\"b"]),
            Self.issue(position: 0.1 + 0.2, refs: [.null, .bool(true), .int(-42), .double(1.5), .double(3), .string("x/y")]),
            Self.issue(position: 123_456_789.125, refs: [.object(["b": .int(1), "B": .int(2), "_x": .array([]), "a10": .object([:]), "a9": .null])]),
        ]
        for issue in issues {
            #expect(try Self.written(issue) == Self.foundation(issue))
        }
        // Integral numbers take a shortcut of their own; around its edges too.
        let integral: [Double] = [0, -0.0, 3, -7, 65_536, 999_999_999_999_999, -999_999_999_999_999, 1e15, 9_007_199_254_740_992, 1e16, 0.5, -1.5]
        for position in integral {
            #expect(try Self.written(Self.issue(position: position)) == Self.foundation(Self.issue(position: position)), "\(position)")
        }
        #expect(try Self.written(issues) == Self.foundation(issues))
        #expect(try Self.written([MulticaKit.Issue]()) == "[]")
    }

    @Test func payloadsAndColumnsUseTheWriter() throws {
        let issue = Self.issue(criteria: ["one"])
        let payload = try EventPayload.make([("issue", issue), ("n", 3)])
        #expect(payload.description == "{\"issue\":\(try Self.foundation(issue)),\"n\":3}")
        #expect(try Self.written(["a", "b\n"]) == Self.foundation(["a", "b\n"]))
    }

    @Test func nonFiniteNumbersThrowAsFoundationDoes() {
        #expect(throws: (any Error).self) { try JSONCoding.encode(Self.issue(position: .infinity)) }
        #expect(throws: (any Error).self) { try EventJSON.encoder.encode(Self.issue(position: .nan)) }
        #expect(throws: (any Error).self) { try JSONCoding.encode(Self.issue(position: .nan)) }
    }

    @Test func blankTrimmingMatchesFoundation() {
        let samples = ["", " ", "\t", "abc", " abc", "abc ", "\tabc\t", "a b", "\u{a0}abc", "abc\u{3000}", "\nabc\n", "\r\nx", "é", " é ", "\u{2028}x"]
        for text in samples {
            #expect(text.trimmingBlanks == text.trimmingCharacters(in: .whitespaces))
            #expect(text.trimmingBlanksAndNewlines == text.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(text[...].trimmingBlanks == text.trimmingCharacters(in: .whitespaces))
        }
    }
}
