import Crypto
import Foundation
import MulticaKit
import Testing

/// Hand-built tokens: own base64url and JSON, HMAC-SHA256 from swift-crypto directly
/// (not through TokenService), so the service is checked against an independent signer.
enum HandToken {
    static let secret = Array(String(repeating: "s3cret-for-tests-", count: 4).utf8)  // 68 bytes

    static func b64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func b64url(_ text: String) -> String { b64url(Array(text.utf8)) }

    static func hs256(_ input: String, secret: [UInt8] = secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
        return b64url(Array(mac))
    }

    /// header and payload are raw JSON text; the signature is HS256 over them.
    static func make(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, secret: [UInt8] = secret) -> String {
        let input = b64url(header) + "." + b64url(payload)
        return input + "." + hs256(input, secret: secret)
    }

    static var future: Int { Int(Date().timeIntervalSince1970) + 3600 }
}

@Suite struct AuthTokenTests {
    let service = try! TokenService(secret: HandToken.secret)

    func reason(_ token: String, now: Date = Date()) async -> TokenError? {
        do {
            _ = try await service.verify(token, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test func handBuiltTokenVerifiesWithAllClaims() async throws {
        let exp = HandToken.future
        let token = HandToken.make(payload: #"{"sub":"u1","exp":\#(exp),"iat":1700000000,"email":"a@b.c","name":"Ann","adm":true}"#)
        let claims = try await service.verify(token)
        #expect(claims.subject == "u1")
        #expect(claims.email == "a@b.c")
        #expect(claims.name == "Ann")
        #expect(claims.isAdmin)
        #expect(claims.issuedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(claims.expiresAt == Date(timeIntervalSince1970: Double(exp)))
    }

    @Test func minimalClaimsDefaultAdminFalse() async throws {
        let claims = try await service.verify(HandToken.make(payload: #"{"sub":"u2","exp":\#(HandToken.future)}"#))
        #expect(claims.isAdmin == false)
        #expect(claims.email == nil && claims.name == nil && claims.issuedAt == nil)
    }

    @Test func badSignature() async {
        let other = Array(String(repeating: "another-secret-", count: 4).utf8)
        let token = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future)}"#, secret: other)
        #expect(await reason(token) == .badSignature)
    }

    @Test func tamperedPayloadIsBadSignature() async {
        let good = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future)}"#)
        let parts = good.split(separator: ".").map(String.init)
        let forged = parts[0] + "." + HandToken.b64url(#"{"sub":"root","exp":\#(HandToken.future),"adm":true}"#) + "." + parts[2]
        #expect(await reason(forged) == .badSignature)
    }

    @Test func emptySignatureIsBadSignature() async {
        let good = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future)}"#)
        let unsigned = good.split(separator: ".").prefix(2).joined(separator: ".") + "."
        #expect(await reason(unsigned) == .badSignature)
    }

    @Test(arguments: ["none", "HS384", "HS512", "RS256", "ES256", "hs256"])
    func otherAlgorithmsAreRejected(alg: String) async {
        let token = HandToken.make(header: #"{"alg":"\#(alg)","typ":"JWT"}"#, payload: #"{"sub":"u1","exp":\#(HandToken.future)}"#)
        #expect(await reason(token) == .unsupportedAlgorithm(alg))
    }

    @Test func algNoneWithoutSignatureIsRejected() async {
        let token = HandToken.b64url(#"{"alg":"none"}"#) + "." + HandToken.b64url(#"{"sub":"u1","exp":\#(HandToken.future)}"#) + "."
        #expect(await reason(token) == .unsupportedAlgorithm("none"))
    }

    @Test func expired() async {
        let now = Date()
        let past = Int(now.timeIntervalSince1970) - 10
        #expect(await reason(HandToken.make(payload: #"{"sub":"u1","exp":\#(past)}"#), now: now) == .expired)
    }

    @Test func expiryEqualToNowIsExpired() async {
        let token = HandToken.make(payload: #"{"sub":"u1","exp":1800000000}"#)
        #expect(await reason(token, now: Date(timeIntervalSince1970: 1_800_000_000)) == .expired)
        #expect(await reason(token, now: Date(timeIntervalSince1970: 1_799_999_999)) == nil)
    }

    @Test func missingExpiry() async {
        #expect(await reason(HandToken.make(payload: #"{"sub":"u1"}"#)) == .missingExpiry)
    }

    @Test(arguments: [#""sub":"","#, #""sub":"   ","#, "", #""sub":null,"#])
    func missingOrBlankSubject(sub: String) async {
        let token = HandToken.make(payload: "{\(sub)\"exp\":\(HandToken.future)}")
        #expect(await reason(token) == .missingSubject)
    }

    @Test(arguments: ["a.b", "a.b.c.d", "", "onlyone"])
    func wrongSegmentCountIsMalformed(token: String) async {
        guard case .malformed? = await reason(token) else {
            Issue.record("expected malformed for \(token)")
            return
        }
    }

    @Test func badBase64IsMalformed() async {
        let good = HandToken.make(payload: #"{"sub":"u1","exp":\#(HandToken.future)}"#)
        let parts = good.split(separator: ".").map(String.init)
        #expect(await reason("!!" + parts[0] + "." + parts[1] + "." + parts[2]) == .malformed("header is not valid base64url"))
        #expect(await reason(parts[0] + ".a*b." + parts[2]) == .malformed("payload is not valid base64url"))
        #expect(await reason(parts[0] + "." + parts[1] + ".%%%") == .malformed("signature is not valid base64url"))
    }

    @Test func nonObjectJSONIsMalformed() async {
        let future = HandToken.future
        #expect(await reason(HandToken.make(header: "[1,2]", payload: #"{"sub":"u1","exp":\#(future)}"#))
            == .malformed("header is not a JSON object"))
        #expect(await reason(HandToken.make(payload: "not json")) == .malformed("payload is not a JSON object"))
        #expect(await reason(HandToken.make(payload: #""a string""#)) == .malformed("payload is not a JSON object"))
    }

    @Test func wronglyTypedClaimsAreMalformed() async {
        #expect(await reason(HandToken.make(payload: #"{"sub":"u1","exp":"tomorrow"}"#)) == .malformed("exp is not a number"))
        #expect(await reason(HandToken.make(payload: #"{"sub":42,"exp":\#(HandToken.future)}"#)) == .malformed("sub is not a string"))
    }

    @Test func mintThenVerifyRoundTrip() async throws {
        let now = Date(timeIntervalSince1970: 1_900_000_000.75)
        let claims = TokenClaims(subject: "user-7", expiresAt: now.addingTimeInterval(3600), issuedAt: now,
                                 email: "u7@example.com", name: "Seven", isAdmin: true)
        let token = try await service.mint(claims)
        var encodedHeader = String(token.split(separator: ".")[0])
        encodedHeader += String(repeating: "=", count: (4 - encodedHeader.count % 4) % 4)
        let header = try #require(Data(base64Encoded: encodedHeader))
        #expect(String(decoding: header, as: UTF8.self).contains(#""alg":"HS256""#))
        let back = try await service.verify(token, now: now)
        #expect(back == claims.truncatedToSeconds)
    }

    @Test func mintedTokenCheckedByIndependentHMAC() async throws {
        let token = try await service.mint(TokenClaims(subject: "x", expiresAt: Date().addingTimeInterval(60)))
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        #expect(HandToken.hs256(parts[0] + "." + parts[1]) == parts[2])
    }

    @Test func shortSecretIsRejectedByService() {
        #expect(throws: SecretError.tooShort(31)) { try TokenService(secret: Array(repeating: 1, count: 31)) }
    }

    @Test func descriptionsAreShortReasons() {
        #expect(TokenError.expired.description == "token expired")
        #expect(TokenError.badSignature.description == "bad signature")
        #expect(TokenError.unsupportedAlgorithm("none").description.contains("HS256"))
    }

    @Test func claimsJSONUsesSpecKeys() throws {
        let claims = TokenClaims(subject: "s", expiresAt: Date(timeIntervalSince1970: 10), issuedAt: Date(timeIntervalSince1970: 5),
                                 email: "e", name: "n", isAdmin: true)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(claims)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["sub", "exp", "iat", "email", "name", "adm"])
        #expect(try JSONDecoder().decode(TokenClaims.self, from: JSONEncoder().encode(claims)) == claims)
    }
}
