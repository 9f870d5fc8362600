import Synchronization

/// Memberships already read from storage, so that the membership check of an
/// authenticated request costs no database round trip.
///
/// Exactness: the cache is kept right by the member events the server commits. Its
/// bus listener runs on the publisher's writer thread after each commit and before the
/// committing request is answered, and drops the entries that `member:added`,
/// `member:removed` and a workspace deletion touch; so once a removal has been
/// answered, no request is let in by a stale entry. A load that raced with such an
/// event is not stored (a generation counter tells), so an old answer read just before
/// the commit can never land in the cache after its invalidation.
///
/// Writes never trust the cache: units of work read the membership inside their own
/// transaction (`UnitOfWork.member(of:_:)`).
///
/// Threading: any thread; one mutex, never held across a load.
public final class MembershipCache: Sendable {
    private struct Key: Hashable {
        let workspace: String
        let user: String
    }

    private struct State {
        var entries: [Key: Member?] = [:]
        var generation: UInt64 = 0
    }

    /// Past this many entries the cache starts over (bounded memory for any number of users).
    static let capacity = 100_000

    private let state = Mutex(State())
    private let enabled: Bool

    /// - Parameter enabled: false on a database other nodes share: their member events
    ///   reach this node only for workspaces it has sockets in, so entries could go
    ///   stale; then every lookup reads storage.
    public init(enabled: Bool = true) {
        self.enabled = enabled
    }

    /// The membership of `user` in `workspace`: from the cache, or from `load` (whose
    /// answer, a member or none, is kept unless an invalidation happened meanwhile).
    func membership(workspace: String, user: String, load: () async throws -> Member?) async throws -> Member? {
        guard enabled else { return try await load() }
        let key = Key(workspace: workspace, user: user)
        let (cached, generation) = state.withLock { ($0.entries[key], $0.generation) }
        if let cached { return cached }
        let loaded = try await load()
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = .some(loaded)
        }
        return loaded
    }

    func invalidate(workspace: String, user: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries[Key(workspace: workspace, user: user)] = nil
        }
    }

    func invalidate(workspace: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.key.workspace != workspace }
        }
    }

    /// Subscribes the invalidations to the bus. Synthetic events never act (a forged
    /// `member:removed` changes nothing), but a real one always does.
    public func install(on bus: EventBus) {
        bus.subscribe(.memberAdded, label: "membership-cache") { [self] event in
            guard !event.synthetic else { return }
            if let member = event.payload.member("member"), let user = RawJSONObject(trusted: Array(member)).string("user_id") {
                invalidate(workspace: event.workspaceID, user: user)
            } else {
                invalidate(workspace: event.workspaceID)
            }
        }
        bus.subscribe(.memberRemoved, label: "membership-cache") { [self] event in
            guard !event.synthetic else { return }
            if let user = event.payload.string("user_id") {
                invalidate(workspace: event.workspaceID, user: user)
            } else {
                invalidate(workspace: event.workspaceID)
            }
        }
        bus.subscribe(.workspaceUpdated, label: "membership-cache") { [self] event in
            guard !event.synthetic, event.payload.member("deleted") != nil else { return }
            invalidate(workspace: event.workspaceID)
        }
    }
}

/// A `MemberStore` whose `membership` lookups go through a `MembershipCache`.
struct CachingMemberStore: MemberStore {
    let base: any MemberStore
    let cache: MembershipCache

    func members(workspace: String) async throws -> [Member] { try await base.members(workspace: workspace) }
    func member(id: String) async throws -> Member? { try await base.member(id: id) }

    func membership(workspace: String, user: String) async throws -> Member? {
        try await cache.membership(workspace: workspace, user: user) {
            try await base.membership(workspace: workspace, user: user)
        }
    }
}
