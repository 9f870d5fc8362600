import Foundation
import Testing
@testable import MulticaKit

/// `UpgradeRequest` decodes query components itself; it must decide exactly as the
/// Foundation expression it replaced, which clients already rely on.
@Suite("Upgrade request query")
struct UpgradeRequestQueryTests {
    static func foundation(_ raw: String, plusIsSpace: Bool) -> String {
        plusIsSpace
            ? (raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw)
            : (raw.removingPercentEncoding ?? raw)
    }

    static let samples = [
        "", "plain", "a+b", "a%20b", "a%2Bb", "%41%42", "%e2%9c%93", "%E2%9C%93+x", "100%", "%4", "%zz", "%%", "+%",
        "%C3", "%FF%FE", "%00", "é+%C3%A9", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln-_", "a%2", "%2x", "++",
    ]

    @Test(arguments: samples)
    func decodesAsFoundationDid(_ raw: String) {
        #expect(UpgradeRequest.decoded(Substring(raw), plusIsSpace: true) == Self.foundation(raw, plusIsSpace: true))
        #expect(UpgradeRequest.decoded(Substring(raw), plusIsSpace: false) == Self.foundation(raw, plusIsSpace: false))
    }

    @Test func keysAndValuesFromAWholeURI() {
        let request = UpgradeRequest(uri: "/ws?workspace%5Fid=ws_1&since=5&token=a%2Bb+c&token=second&flag", authorization: nil, origin: nil)
        #expect(request.path == "/ws")
        #expect(request.query == ["workspace_id": "ws_1", "since": "5", "token": "a+b c", "flag": ""])
    }
}
