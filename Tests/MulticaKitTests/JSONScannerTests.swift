import Testing

@testable import MulticaKit

@Suite("JSON scanner")
struct JSONScannerTests {
    @Test(arguments: [
        #"{}"#, #" { "a" : [1, -2.5e+3, 0, true, false, null, "x\u00e9\n\"", {}] } "#, #"[]"#, #""s""#, #"0"#,
        #"-0.0"#, #"1E9"#, #"{"k":{"k":{"k":[[[]]]}}}"#,
    ])
    func validDocumentsPass(_ text: String) throws {
        try JSONScanner.validate(Array(text.utf8))
    }

    @Test(arguments: [
        (#""#, 1, 1), (#"{"#, 1, 2), (#"{"a":}"#, 1, 6), (#"{"a":1,}"#, 1, 8), ("{\n  \"a\": 01\n}", 2, 8),
        (#"[1 2]"#, 1, 4), (#"{"a":tru}"#, 1, 6), (#"{"a":"\x"}"#, 1, 8), (#"{} x"#, 1, 4), (#"+1"#, 1, 1),
        (#"1."#, 1, 3), ("\"a\u{01}\"", 1, 3), (#"{'a':1}"#, 1, 2),
    ])
    func invalidDocumentsReportLineAndColumn(_ text: String, _ line: Int, _ column: Int) {
        do {
            try JSONScanner.validate(Array(text.utf8))
            Issue.record("accepted invalid JSON: \(text)")
        } catch {
            #expect(error.line == line, "\(text): \(error)")
            #expect(error.column == column, "\(text): \(error)")
        }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.validate(Array(hostile.utf8)) }
    }

    @Test func objectMembersGiveDecodedKeysAndExactValueRanges() throws {
        let bytes = Array(#"{"a\u0062":  [1, 2] , "n": 1234567890123456789}"#.utf8)
        let members = try JSONScanner.objectMembers(bytes)
        #expect(members.map(\.key) == ["ab", "n"])
        #expect(String(decoding: bytes[members[0].valueRange], as: UTF8.self) == "[1, 2]")
        #expect(String(decoding: bytes[members[1].valueRange], as: UTF8.self) == "1234567890123456789")
    }

    @Test func decodeStringTakesExactlyOneStringLiteral() {
        #expect(JSONScanner.decodeString(Array(#""plain""#.utf8)[...]) == "plain")
        #expect(JSONScanner.decodeString(Array(#""a\"b\u00e9\ud83d\ude00""#.utf8)[...]) == "a\"bé😀")
        #expect(JSONScanner.decodeString(Array("42".utf8)[...]) == nil)
        #expect(JSONScanner.decodeString(Array(#""a" "b""#.utf8)[...]) == nil)
        #expect(JSONScanner.decodeString(Array(#""unterminated"#.utf8)[...]) == nil)
    }

    @Test func rawObjectRefusesNonObjects() {
        #expect(throws: JSONScanner.SyntaxError.self) { try RawJSONObject(validating: "[1]") }
        #expect(throws: JSONScanner.SyntaxError.self) { try RawJSONObject(validating: "\"s\"") }
        #expect((try? RawJSONObject(validating: "  {\"a\":1}\n"))?.description == "{\"a\":1}")
    }
}

/// SPEC §6: a leading-zero number is named, with its line and column.
@Suite struct JSONScannerNumberTests {
    @Test func leadingZeroIsNamedWithPosition() {
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.validate(Array(#"{"ts":0123}"#.utf8)) }
        do {
            _ = try JSONScanner.objectMembers(Array("{\n  \"ts\": 0123}".utf8))
            Issue.record("accepted a leading zero")
        } catch {
            #expect(error.message == "invalid number '0123': leading zero")
            #expect(error.line == 2 && error.column == 9)
        }
    }

    @Test(arguments: ["-01", "00", "01.5", "-00e1"])
    func otherLeadingZerosAreRefused(_ number: String) {
        #expect(throws: JSONScanner.SyntaxError.self) { try JSONScanner.validate(Array(number.utf8)) }
    }

    @Test(arguments: ["0", "-0", "0.5", "0e3", "10", "-0.0E-2"])
    func zeroFormsStillPass(_ number: String) throws {
        try JSONScanner.validate(Array(number.utf8))
    }
}
