/// The name of an event on the wire: one of the 21 catalog types of SPEC §5, or a
/// custom type of the form `family:name` (lower-case letters, digits and `_`).
///
/// Custom types may not use a catalog family (`issue`, `inbox`, `daemon`, …): routing
/// is decided by family, so a synthetic `daemon:x` would reach every tenant and a
/// synthetic `inbox:x` would dodge the recipient rule. Reserving the families keeps
/// routing a property of the catalog alone, and lets a typo such as `issue:craeted`
/// be answered with a suggestion instead of being accepted as a new custom type.
public struct EventType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts a catalog type or a well-formed custom type; `nil` for anything else.
    public init?(rawValue: String) {
        guard Self.catalogNames.contains(rawValue) || Self.isValidCustom(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(catalog name: String) { self.rawValue = name }

    public var description: String { rawValue }

    /// The part before the colon: `issue` for `issue:created`.
    public var family: String { String(rawValue.prefix { $0 != ":" }) }

    /// True for the 21 types of the catalog.
    public var isCatalog: Bool { Self.catalogNames.contains(rawValue) }

    /// `inbox:*` events go only to their recipient (routing rule 2).
    public var isPersonal: Bool { hasFamily("inbox") }

    /// `daemon:*` events carry no tenant data and have no workspace (routing rule 3).
    public var isWorkspaceless: Bool { hasFamily("daemon") }

    /// `family == name`, without building `family` (routing asks twice per event).
    private func hasFamily(_ name: StaticString) -> Bool {
        let family = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var raw = rawValue.utf8.makeIterator()
        for byte in family where raw.next() != byte { return false }
        let next = raw.next()
        return next == nil || next == UInt8(ascii: ":")
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let type = EventType(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown event type '\(raw)'")
        }
        self = type
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    // MARK: Catalog

    public static let issueCreated = EventType(catalog: "issue:created")
    public static let issueUpdated = EventType(catalog: "issue:updated")
    public static let issueDeleted = EventType(catalog: "issue:deleted")
    public static let commentCreated = EventType(catalog: "comment:created")
    public static let commentUpdated = EventType(catalog: "comment:updated")
    public static let commentDeleted = EventType(catalog: "comment:deleted")
    public static let agentCreated = EventType(catalog: "agent:created")
    public static let agentStatus = EventType(catalog: "agent:status")
    public static let agentDeleted = EventType(catalog: "agent:deleted")
    public static let taskDispatch = EventType(catalog: "task:dispatch")
    public static let taskProgress = EventType(catalog: "task:progress")
    public static let taskCompleted = EventType(catalog: "task:completed")
    public static let taskFailed = EventType(catalog: "task:failed")
    public static let inboxNew = EventType(catalog: "inbox:new")
    public static let inboxRead = EventType(catalog: "inbox:read")
    public static let inboxArchived = EventType(catalog: "inbox:archived")
    public static let workspaceUpdated = EventType(catalog: "workspace:updated")
    public static let memberAdded = EventType(catalog: "member:added")
    public static let memberRemoved = EventType(catalog: "member:removed")
    public static let daemonRegister = EventType(catalog: "daemon:register")
    public static let daemonHeartbeat = EventType(catalog: "daemon:heartbeat")

    /// The catalog in SPEC order.
    public static let catalog: [EventType] = [
        .issueCreated, .issueUpdated, .issueDeleted,
        .commentCreated, .commentUpdated, .commentDeleted,
        .agentCreated, .agentStatus, .agentDeleted,
        .taskDispatch, .taskProgress, .taskCompleted, .taskFailed,
        .inboxNew, .inboxRead, .inboxArchived,
        .workspaceUpdated, .memberAdded, .memberRemoved,
        .daemonRegister, .daemonHeartbeat,
    ]

    /// Families that belong to the catalog and are closed to custom types.
    public static let reservedFamilies: Set<String> = Set(catalog.map(\.family))

    private static let catalogNames: Set<String> = Set(catalog.map(\.rawValue))

    /// `family:name`, each part one or more of `[a-z0-9_]`, family not reserved.
    public static func isValidCustom(_ raw: String) -> Bool {
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, raw.utf8.count <= 128 else { return false }
        let allowed = { (c: UInt8) in (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F }
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(allowed) }) else { return false }
        return !reservedFamilies.contains(String(parts[0]))
    }
}
