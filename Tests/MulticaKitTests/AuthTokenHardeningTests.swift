import Foundation
import MulticaKit
import Testing

/// SPEC §3 rejections that parsers disagree on: `crit`, duplicate member names, an
/// oversized token, a future `nbf`. Tokens are built by hand (`HandToken`) and
/// correctly signed, so only the rule under test can reject them.
@Suite struct AuthTokenHardeningTests {
    let service = try! TokenService(secret: HandToken.secret)

    func reason(_ token: String, now: Date = Date()) async -> TokenError? {
        do {
            _ = try await service.verify(token, now: now)
            return nil
        } catch {
            return error
        }
    }

    func isMalformed(_ token: String) async -> Bool {
        if case .malformed? = await reason(token) { return true }
        return false
    }

    var claims: String { #"{"sub":"u1","exp":\#(HandToken.future)}"# }

    @Test func critHeaderIsMalformed() async {
        let token = HandToken.make(header: #"{"alg":"HS256","typ":"JWT","crit":["x-unknown"],"x-unknown":1}"#, payload: claims)
        #expect(await reason(token) == .malformed("header has crit (no extension is understood)"))
        // Even an empty list: RFC 7515 §4.1.11 forbids it too.
        #expect(await isMalformed(HandToken.make(header: #"{"alg":"HS256","crit":[]}"#, payload: claims)))
    }

    @Test func duplicateClaimIsMalformed() async {
        let token = HandToken.make(payload: #"{"sub":"alice","exp":\#(HandToken.future),"sub":"mallory"}"#)
        #expect(await reason(token) == .malformed("payload has duplicate member 'sub'"))
    }

    @Test func duplicateByEscapedNameIsMalformed() async {
        // "s\u0075b" is "sub": the comparison is on decoded names.
        let token = HandToken.make(payload: #"{"sub":"alice","exp":\#(HandToken.future),"s\u0075b":"mallory"}"#)
        #expect(await isMalformed(token))
    }

    @Test func duplicateHeaderMemberIsMalformed() async {
        let token = HandToken.make(header: #"{"alg":"HS256","alg":"none"}"#, payload: claims)
        #expect(await reason(token) == .malformed("header has duplicate member 'alg'"))
    }

    @Test func nestedSameNamesAreFine() async throws {
        let token = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future),"x":{"sub":1},"y":{"sub":2}}"#)
        #expect(await reason(token) == nil)
    }

    @Test func tokenOver8KiBIsMalformed() async {
        let padding = String(repeating: "p", count: 8 * 1024)
        let token = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future),"pad":"\#(padding)"}"#)
        #expect(token.utf8.count > 8192)
        #expect(await reason(token) == .malformed("token over 8 KiB"))
        // Just under the limit is verified normally.
        let small = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future),"pad":"\#(String(repeating: "p", count: 5000))"}"#)
        #expect(small.utf8.count < 8192)
        #expect(await reason(small) == nil)
    }

    @Test func futureNotBeforeIsNotYetValid() async {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let token = HandToken.make(payload: #"{"sub":"u1","exp":1900000000,"nbf":1800000100}"#)
        #expect(await reason(token, now: now) == .notYetValid)
        #expect(await reason(token, now: Date(timeIntervalSince1970: 1_800_000_100)) == nil)
        #expect(TokenError.notYetValid.description == "token not yet valid (nbf is in the future)")
    }

    @Test func nonNumericNotBeforeIsMalformed() async {
        let token = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future),"nbf":"soon"}"#)
        #expect(await reason(token) == .malformed("nbf is not a number"))
    }
}
