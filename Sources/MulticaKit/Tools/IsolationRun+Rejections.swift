import Foundation

/// (c) The upgrade refusals of SPEC §7, each with its exact status and body.
extension IsolationRun {
    static let missingMessage = "token and workspace_id required"
    static let invalidMessage = "invalid token"
    static let notMemberMessage = "not a member of this workspace"

    func rejectionChecks() async -> [IsolationCheck] {
        guard tenants.count >= 2 else { return [.fail("reject: setup", "fewer than 2 workspaces")] }
        let target = tenants[0], outsider = tenants[1].owner
        let owner = target.owner
        var rows: [IsolationCheck] = []

        func row(_ name: String, token: String?, workspace: String, status: Int, message: String) async {
            if let problem = await refusal(token: token, workspaceID: workspace, status: status, message: message) {
                rows.append(.fail(name, problem))
            } else {
                rows.append(.pass(name, "\(status) {\"error\":\"\(message)\"}"))
            }
        }

        await row("reject: no token", token: nil, workspace: target.id, status: 401, message: Self.missingMessage)
        await row("reject: no workspace_id", token: owner.token, workspace: "", status: 401, message: Self.missingMessage)

        var generator = SystemRandomNumberGenerator()
        let otherSecret = (0..<64).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        if let otherService = try? TokenService(secret: otherSecret), let forged = try? await mint(owner.id, with: otherService) {
            await row("reject: bad signature", token: forged, workspace: target.id, status: 401, message: Self.invalidMessage)
        } else {
            rows.append(.fail("reject: bad signature", "could not sign a token with another secret"))
        }
        await row("reject: alg none", token: Self.unsignedToken(subject: owner.id), workspace: target.id, status: 401, message: Self.invalidMessage)
        if let expired = try? await mint(owner.id, expiresIn: -120) {
            await row("reject: expired token", token: expired, workspace: target.id, status: 401, message: Self.invalidMessage)
        } else {
            rows.append(.fail("reject: expired token", "could not sign an expired token"))
        }
        await row("reject: not a member", token: outsider.token, workspace: target.id, status: 403, message: Self.notMemberMessage)
        await row("reject: no such workspace", token: owner.token, workspace: Identifier.make("ws"), status: 403, message: Self.notMemberMessage)
        return rows
    }

    /// Nil when `/ws` refuses with exactly `status` and `{"error": message}`, else what happened.
    func refusal(token: String?, workspaceID: String, status: Int, message: String) async -> String? {
        let expected = "expected \(status) {\"error\":\"\(message)\"}"
        do {
            let socket = try await MulticaSocket.connect(server: server, token: token, workspaceID: workspaceID, since: nil, settings: socketSettings)
            socket.close()
            return "\(expected), but the upgrade was accepted (101)"
        } catch {
            if case .server(let got, let text) = error {
                return got == status && text == message ? nil : "\(expected), got \(got) \"\(text)\""
            }
            return "\(expected), got: \(error)"
        }
    }

    /// `{"alg":"none"}` with an empty signature.
    static func unsignedToken(subject: String) -> String {
        let exp = Int64(Date().timeIntervalSince1970) + 3600
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Array(#"{"sub":"\#(subject)","exp":\#(exp)}"#.utf8))
        return "\(header).\(payload)."
    }
}
