import Hummingbird

/// The caller of a request, from its verified token.
public struct Principal: Sendable, Hashable {
    public var userID: String
    public var email: String?
    public var name: String?
    public var isAdmin: Bool

    public init(userID: String, email: String?, name: String?, isAdmin: Bool) {
        self.userID = userID
        self.email = email
        self.name = name
        self.isAdmin = isAdmin
    }
}

/// Per-request context: Hummingbird's core storage plus the authenticated principal,
/// set by `AuthenticationMiddleware` on every `/api` route.
public struct MulticaRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
    }

    /// Bodies are read with explicit per-route limits (`RequestBodyReader`); this is
    /// the ceiling for the largest, a batch of 1,000 synthetic events.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }

    /// The principal of an authenticated route. The middleware guarantees it.
    func caller() throws -> Principal {
        guard let principal else { throw APIError.unauthorized("missing token") }
        return principal
    }
}
