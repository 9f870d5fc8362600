/// The enums of SPEC §5 that storage keeps in CHECK-constrained columns.
/// Raw values are the exact wire and column values.

public enum MemberRole: String, Sendable, Codable, CaseIterable {
    case owner
    case admin
    case member
}

public enum IssueStatus: String, Sendable, Codable, CaseIterable {
    case backlog
    case todo
    case inProgress = "in_progress"
    case inReview = "in_review"
    case done
    case blocked
    case cancelled
}

public enum IssuePriority: String, Sendable, Codable, CaseIterable {
    case urgent
    case high
    case medium
    case low
    case none

    /// The priority of an agent task enqueued for an issue: urgent=4 … none=0.
    public var taskPriority: Int {
        switch self {
        case .urgent: return 4
        case .high: return 3
        case .medium: return 2
        case .low: return 1
        case .none: return 0
        }
    }
}

/// Who an issue is assigned to, and who an inbox item is for.
public enum AssigneeType: String, Sendable, Codable, CaseIterable {
    case member
    case agent
}

/// The kind of recipient of an inbox item (same values as `AssigneeType`).
public typealias RecipientType = AssigneeType

public enum CommentType: String, Sendable, Codable, CaseIterable {
    case comment
    case statusChange = "status_change"
    case progressUpdate = "progress_update"
    case system
}

public enum AgentRuntimeMode: String, Sendable, Codable, CaseIterable {
    case local
    case cloud
}

public enum AgentVisibility: String, Sendable, Codable, CaseIterable {
    case workspace
    case `private`
}

public enum AgentStatus: String, Sendable, Codable, CaseIterable {
    case idle
    case working
    case blocked
    case error
    case offline
}

public enum InboxSeverity: String, Sendable, Codable, CaseIterable {
    case actionRequired = "action_required"
    case attention
    case info
}

public enum TaskStatus: String, Sendable, Codable, CaseIterable {
    case queued
    case dispatched
    case running
    case completed
    case failed
    case cancelled

    /// Queued, dispatched or running: not finished yet.
    public var isOpen: Bool { self == .queued || self == .dispatched || self == .running }
}
