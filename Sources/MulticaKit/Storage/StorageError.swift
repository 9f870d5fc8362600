/// Errors of the storage layer. No database type crosses this seam: SQLite failures
/// are translated into one of these cases.
public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// The row asked for does not exist.
    case notFound(String)
    /// A uniqueness rule was violated (duplicate slug, duplicate member, …).
    case conflict(String)
    /// A value or a state transition was refused (bad enum, bad reference, wrong task state).
    case invalid(String)
    /// The database failed for another reason (I/O, corruption, busy for too long).
    case unavailable(String)

    public var description: String {
        switch self {
        case .notFound(let m): return "not found: \(m)"
        case .conflict(let m): return "conflict: \(m)"
        case .invalid(let m): return "invalid: \(m)"
        case .unavailable(let m): return "storage unavailable: \(m)"
        }
    }
}
