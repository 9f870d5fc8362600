import PostgresNIO

/// Translates PostgresNIO's errors into `StorageError`, the only error type that
/// leaves `Storage`. Server-reported constraint failures keep PostgreSQL's message
/// (it names the constraint, never a bound value's secret); connection failures
/// become `.unavailable`, which the API answers with 503.
enum PostgresErrors {
    static func translate(_ error: any Error) -> StorageError {
        if let storage = error as? StorageError { return storage }
        guard let psql = error as? PSQLError else { return .unavailable(String(describing: type(of: error))) }
        guard let info = psql.serverInfo, let state = info[.sqlState] else {
            return .unavailable("PostgreSQL connection: \(psql.code)")
        }
        let message = info[.message] ?? "error \(state)"
        switch state {
        case "23505": return .conflict(message)
        case "23503", "23514", "23502", "22P02", "22023", "22001", "23P01": return .invalid(message)
        case "40001", "40P01": return .unavailable("transaction conflict: \(message)")
        default:
            if state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") {
                return .unavailable("PostgreSQL: \(message)")
            }
            return .unavailable("PostgreSQL \(state): \(message)")
        }
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
