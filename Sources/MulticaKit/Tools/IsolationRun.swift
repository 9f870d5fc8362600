import Foundation

/// One execution of `IsolationVerifier` against one server, or several nodes sharing one
/// database: setup, the phases, the checks, and the teardown. With several nodes the
/// users' REST clients (hence the publishers) and the sockets are spread round-robin
/// over them, offset so that a socket usually sits on another node than the publisher
/// of its workspace. Used by a single task from start to end.
final class IsolationRun {
    struct User: Sendable {
        let id: String
        let token: String
        let client: MulticaClient
    }

    /// A workspace of the run, numbered from 1 in messages.
    struct Tenant: Sendable {
        let number: Int
        let id: String
        let owner: User
        let member: User
        var users: [User] { [owner, member] }
    }

    /// An event the run published, with the `seq` the server assigned.
    struct Published: Sendable, Hashable {
        let type: EventType
        let seq: Int64
        let workspaceID: String
        /// The addressee of an `inbox:*` event.
        let recipient: String?
    }

    /// One event to publish (the workspace is that of the batch).
    struct Planned: Sendable {
        let type: EventType
        let recipient: String?
    }

    /// Every node under test; `server` is the first.
    let servers: [ServerAddress]
    var server: ServerAddress { servers[0] }
    let secret: [UInt8]
    let options: IsolationVerifier.Options
    let deleteWorkspaces: Bool
    let progress: @Sendable (String) -> Void
    let runID: String
    var socketSettings = MulticaSocket.Settings()

    var tokens: TokenService?
    var users: [User] = []
    var tenants: [Tenant] = []
    /// The removable member of workspace #1 (check e).
    var leaver: User?
    /// The `clients` sockets of each workspace, in tenant order.
    var mainProbes: [IsolationProbe] = []
    var leaverProbe: IsolationProbe?
    /// Every socket ever opened (the resumed one included), for checks a and d.
    var allProbes: [IsolationProbe] = []
    /// What the main phase published (daemon events included).
    var published: [Published] = []

    convenience init(server: ServerAddress, secret: [UInt8], options: IsolationVerifier.Options, deleteWorkspaces: Bool,
                     progress: @escaping @Sendable (String) -> Void) {
        self.init(servers: [server], secret: secret, options: options, deleteWorkspaces: deleteWorkspaces, progress: progress)
    }

    /// - Parameter servers: at least one.
    init(servers: [ServerAddress], secret: [UInt8], options: IsolationVerifier.Options, deleteWorkspaces: Bool,
         progress: @escaping @Sendable (String) -> Void) {
        precondition(!servers.isEmpty, "IsolationRun needs a server")
        self.servers = servers
        self.secret = secret
        self.options = options
        self.deleteWorkspaces = deleteWorkspaces
        self.progress = progress
        self.runID = String(Identifier.make("x").suffix(8))
        socketSettings.connectTimeout = options.waitTimeout
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    var waitText: String { "\(ClientError.format(Self.seconds(options.waitTimeout)))s" }
    var deadline: ContinuousClock.Instant { ContinuousClock.now + options.waitTimeout }

    func execute() async -> Result<IsolationReport, IsolationSetupError> {
        let result: Result<[IsolationCheck], IsolationSetupError>
        do { result = .success(try await scenario()) } catch { result = .failure(error) }
        await teardown()
        return result.map { checks in
            IsolationReport(
                server: servers.map(\.description).joined(separator: " + "), embedded: false, workspaces: options.workspaces, clientsPerWorkspace: options.clients,
                eventsPerWorkspace: mainPlanCount, checks: checks, passed: checks.allSatisfy(\.passed), durationMilliseconds: 0)
        }
    }

    private func scenario() async throws(IsolationSetupError) -> [IsolationCheck] {
        do { tokens = try TokenService(secret: secret) } catch { throw .secret(error) }
        try await createTenants()
        progress("checking the upgrade refusals of SPEC §7")
        let refusals = await rejectionChecks()
        try await connectSockets()

        progress("publishing \(mainPlanCount) events in each of \(tenants.count) workspaces, and 2 daemon events")
        try await publishMainPhase()
        let outcome = await waitForExpected()
        try? await Task.sleep(for: options.settle)
        let mainRecords = Dictionary(uniqueKeysWithValues: (mainProbes + [leaverProbe].compactMap { $0 }).map { (ObjectIdentifier($0), $0.record) })
        let delivery = ownEventsCheck(mainRecords, wait: outcome)

        progress("removing a member through the REST API")
        let removal = await removalCheck()
        progress("reconnecting a socket with since")
        let resume = await resumeCheck()

        let finalRecords = allProbes.map { ($0, $0.record) }
        return [foreignCheck(finalRecords), delivery] + refusals + [inboxCheck(finalRecords, main: mainRecords), removal, resume]
    }

    // MARK: Setup

    func mint(_ id: String, admin: Bool = false, expiresIn: TimeInterval = 3600, with service: TokenService? = nil) async throws(IsolationSetupError) -> String {
        guard let service = service ?? tokens else { throw .other("no token service") }
        let now = Date()
        let claims = TokenClaims(subject: id, expiresAt: now.addingTimeInterval(expiresIn), issuedAt: now.addingTimeInterval(min(0, expiresIn * 2)),
                                 email: "\(id)@verify.invalid", name: id, isAdmin: admin)
        do { return try await service.mint(claims) } catch { throw .other("cannot sign a token for \(id): \(error)") }
    }

    func user(_ suffix: String, admin: Bool = false) async throws(IsolationSetupError) -> User {
        let id = "verify-\(runID)-\(suffix)"
        let token = try await mint(id, admin: admin)
        let node = servers[users.count % servers.count]
        let user = User(id: id, token: token, client: MulticaClient(server: node, token: token, timeout: options.waitTimeout))
        users.append(user)
        return user
    }

    private func createTenants() async throws(IsolationSetupError) {
        progress("creating \(options.workspaces) workspaces with throwaway users (run \(runID))")
        for number in 1...options.workspaces {
            let owner = try await user("w\(number)-owner")
            let member = try await user("w\(number)-member")
            let workspace: Workspace
            do {
                workspace = try await owner.client.createWorkspace(name: "verify isolation \(runID) #\(number)").value
            } catch { throw .client(error, step: "cannot create workspace #\(number)") }
            tenants.append(Tenant(number: number, id: workspace.id, owner: owner, member: member))
            do {
                _ = try await owner.client.addMember(workspaceID: workspace.id, userID: member.id)
                if number == 1 {
                    let leaver = try await user("w1-leaver")
                    _ = try await owner.client.addMember(workspaceID: workspace.id, userID: leaver.id)
                    self.leaver = leaver
                }
            } catch let error as ClientError {
                throw .client(error, step: "cannot add a member to workspace #\(number)")
            } catch let error as IsolationSetupError {
                throw error
            } catch {
                throw .other("\(error)")
            }
        }
    }

    private func connectSockets() async throws(IsolationSetupError) {
        for tenant in tenants {
            for index in 1...options.clients {
                let user = index % 2 == 1 ? tenant.owner : tenant.member
                let probe = try await connect("socket \(index) of \(describe(workspace: tenant.id)), user \(user.id)", user: user, tenant: tenant)
                mainProbes.append(probe)
            }
        }
        if let leaver, let first = tenants.first {
            leaverProbe = try await connect("socket of the removable member of \(describe(workspace: first.id)), user \(leaver.id)", user: leaver, tenant: first)
        }
        progress("connected \(allProbes.count) sockets")
        let probes = allProbes
        let ready = await IsolationProbe.poll(until: deadline) { probes.allSatisfy { $0.record.hello != nil } }
        if !ready, let silent = probes.first(where: { $0.record.hello == nil }) {
            throw .other("\(silent.name) got no hello frame within \(waitText)")
        }
    }

    func connect(_ name: String, user: User, tenant: Tenant, since: Int64? = nil) async throws(IsolationSetupError) -> IsolationProbe {
        do {
            let probe = try await IsolationProbe.connect(
                name: name, server: servers[(allProbes.count + 1) % servers.count], token: user.token, workspaceID: tenant.id, userID: user.id, since: since, settings: socketSettings)
            allProbes.append(probe)
            return probe
        } catch { throw .client(error, step: "cannot open \(name)") }
    }

    // MARK: Publishing

    /// Every workspace type of the catalog, at least once, cycled up to `events`;
    /// `inbox:*` addressed alternately to the owner and the member.
    var mainPlanCount: Int { max(options.events, Self.workspaceTypes.count) }
    static let workspaceTypes = EventType.catalog.filter { !$0.isWorkspaceless }

    func mainPlan(for tenant: Tenant) -> [Planned] {
        var inbox = 0
        return (0..<mainPlanCount).map { index in
            let type = Self.workspaceTypes[index % Self.workspaceTypes.count]
            guard type.isPersonal else { return Planned(type: type, recipient: nil) }
            defer { inbox += 1 }
            return Planned(type: type, recipient: inbox % 2 == 0 ? tenant.owner.id : tenant.member.id)
        }
    }

    /// Publishes `plan` in `workspaceID` (`""` for daemon events) as `user`.
    func publish(_ plan: [Planned], in workspaceID: String, as user: User) async throws(ClientError) -> [Published] {
        var result: [Published] = []
        var start = 0
        while start < plan.count {
            let chunk = plan[start..<min(plan.count, start + MulticaClient.maxBatch)]
            let outgoing = chunk.map { item in
                let payload = PayloadGenerator(workspaceID: workspaceID, recipientID: item.recipient).payload(for: item.type) ?? .empty
                return OutgoingEvent(type: item.type.rawValue, workspaceID: workspaceID, payload: payload)
            }
            let acknowledged = try await user.client.publishEvents(outgoing, asArray: true)
            for (item, ack) in zip(chunk, acknowledged) {
                result.append(Published(type: item.type, seq: ack.value.seq, workspaceID: workspaceID, recipient: item.recipient))
            }
            start += chunk.count
        }
        return result
    }

    private func publishMainPhase() async throws(IsolationSetupError) {
        let admin = try await user("admin", admin: true)
        do {
            published += try await publish([Planned(type: .daemonRegister, recipient: nil), Planned(type: .daemonHeartbeat, recipient: nil)],
                                           in: "", as: admin)
        } catch { throw .client(error, step: "cannot publish daemon events as a server admin") }
        for tenant in tenants {
            do { published += try await publish(mainPlan(for: tenant), in: tenant.id, as: tenant.owner) } catch {
                throw .client(error, step: "cannot publish events in \(describe(workspace: tenant.id))")
            }
        }
    }

    /// Whether `event` may reach a socket of `userID` in `workspaceID` (SPEC §5).
    static func routes(_ event: Published, toWorkspace workspaceID: String, user userID: String) -> Bool {
        if event.workspaceID.isEmpty { return true }
        return event.workspaceID == workspaceID && (event.recipient == nil || event.recipient == userID)
    }

    struct Key: Hashable {
        let workspaceID: String
        let seq: Int64
    }

    /// Waits until every main-phase socket has every event routed to it. Publishing
    /// is over by then, so when no socket has received anything for `quietPeriod`
    /// the missing events are not coming: stop early rather than sit out the timeout.
    private func waitForExpected() async -> WaitOutcome {
        let probes = mainProbes + [leaverProbe].compactMap { $0 }
        let expected = probes.map { probe in
            Set(published.filter { Self.routes($0, toWorkspace: probe.workspaceID, user: probe.userID) }.map { Key(workspaceID: $0.workspaceID, seq: $0.seq) })
        }
        let end = deadline
        var seen = -1
        var lastChange = ContinuousClock.now
        while true {
            let records = probes.map(\.record)
            let complete = zip(records, expected).allSatisfy { record, keys in
                keys.isSubset(of: Set(record.events.map { Key(workspaceID: $0.workspaceID, seq: $0.seq) }))
            }
            if complete { return .complete }
            let total = records.reduce(0) { $0 + $1.events.count }
            let now = ContinuousClock.now
            if total != seen { seen = total; lastChange = now }
            if now >= end { return .timedOut }
            if now - lastChange >= quietPeriod { return .stalled }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    enum WaitOutcome {
        case complete, timedOut, stalled
    }

    var quietPeriod: Duration { max(.seconds(1), options.waitTimeout / 4) }

    // MARK: Naming

    func describe(workspace id: String) -> String {
        if id.isEmpty { return "no workspace" }
        if let tenant = tenants.first(where: { $0.id == id }) { return "workspace #\(tenant.number) (\(id))" }
        return "workspace \(id) (not created by this run)"
    }

    func describe(_ event: EventEnvelope) -> String {
        "\(event.type) seq \(event.seq) of \(describe(workspace: event.workspaceID))"
    }

    func describe(_ event: Published) -> String {
        "\(event.type) seq \(event.seq) of \(describe(workspace: event.workspaceID))"
    }

    // MARK: Teardown

    private func teardown() async {
        for probe in allProbes { probe.stop() }
        if deleteWorkspaces {
            var failed: [String] = []
            for tenant in tenants {
                do { try await tenant.owner.client.deleteWorkspace(tenant.id) } catch { failed.append("\(tenant.id): \(error)") }
            }
            if !tenants.isEmpty {
                progress(failed.isEmpty ? "deleted the \(tenants.count) workspaces of this run"
                         : "could not delete \(failed.count) workspaces: \(failed.joined(separator: "; "))")
            }
        }
        for user in users { await user.client.http.shutdown() }
    }
}
