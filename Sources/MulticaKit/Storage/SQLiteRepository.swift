import Foundation
import GRDB

/// The SQLite implementation of every repository protocol.
public final class SQLiteRepository: Repository {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func isReachable() async -> Bool { await database.isReachable() }

    // MARK: - Users

    @discardableResult
    public func upsertUser(id: String, email: String?, name: String?) async throws -> User {
        guard !id.isEmpty else { throw StorageError.invalid("user id must not be empty") }
        return try await database.write { db in try Self.upsertUser(db, id: id, email: email, name: name) }
    }

    public func user(id: String) async throws -> User? {
        try await database.read { db in try User.fetchOne(db, id: id) }
    }

    static func upsertUser(_ db: Database, id: String, email: String?, name: String?) throws -> User {
        try db.execute(
            sql: """
                INSERT INTO user (id, email, name, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET email = coalesce(excluded.email, email), name = coalesce(excluded.name, name)
                """,
            arguments: [id, email, name, ColumnCodec.text(StorageClock.now())]
        )
        return try User.require(db, id: id)
    }

    static func ensureUser(_ db: Database, id: String) throws {
        try db.execute(
            sql: "INSERT INTO user (id, created_at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING",
            arguments: [id, ColumnCodec.text(StorageClock.now())]
        )
    }

    // MARK: - Workspaces

    public func createWorkspace(name: String, slug: String, description: String?, ownerUserID: String) async throws -> (Workspace, Member) {
        guard !name.isEmpty, !slug.isEmpty else { throw StorageError.invalid("workspace name and slug must not be empty") }
        guard !ownerUserID.isEmpty else { throw StorageError.invalid("owner user id must not be empty") }
        let now = StorageClock.now()
        let workspace = Workspace(
            id: Identifier.make("ws"), name: name, slug: slug, description: description, settings: [:],
            createdAt: now, updatedAt: now
        )
        return try await database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM workspace WHERE slug = ?", arguments: [slug]) == true {
                throw StorageError.conflict("slug '\(slug)' is taken")
            }
            try Workspace.insert(workspace, db)
            let member = try Self.insertMember(db, workspace: workspace.id, userID: ownerUserID, role: .owner, now: now)
            return (workspace, member)
        }
    }

    public func workspaces(forUser user: String) async throws -> [Workspace] {
        try await database.read { db in
            try Workspace.fetchAll(
                db,
                sql: """
                    SELECT workspace.* FROM workspace JOIN member ON member.workspace_id = workspace.id
                    WHERE member.user_id = ? ORDER BY workspace.created_at, workspace.id
                    """,
                arguments: [user]
            )
        }
    }

    public func allWorkspaces() async throws -> [Workspace] {
        try await database.read { db in try Workspace.fetchAll(db, sql: "SELECT * FROM workspace ORDER BY created_at, id") }
    }

    public func workspace(id: String) async throws -> Workspace? {
        try await database.read { db in try Workspace.fetchOne(db, id: id) }
    }

    public func updateWorkspace(id: String, name: String?, description: String?, settings: [String: JSONValue]?) async throws -> Workspace {
        if let name, name.isEmpty { throw StorageError.invalid("workspace name must not be empty") }
        return try await database.write { db in
            var workspace = try Workspace.require(db, id: id)
            if let name { workspace.name = name }
            if let description { workspace.description = description }
            if let settings { workspace.settings = settings }
            workspace.updatedAt = StorageClock.now()
            try Workspace.update(workspace, db)
            return workspace
        }
    }

    @discardableResult
    public func deleteWorkspace(id: String) async throws -> Workspace {
        try await database.write { db in try Workspace.delete(db, id: id) }
    }

    // MARK: - Members

    public func members(workspace: String) async throws -> [Member] {
        try await database.read { db in
            try Member.fetchAll(
                db, sql: "\(Member.selectSQL) WHERE member.workspace_id = ? ORDER BY member.created_at, member.id",
                arguments: [workspace]
            )
        }
    }

    public func addMember(workspace: String, userID: String, role: MemberRole) async throws -> Member {
        guard !userID.isEmpty else { throw StorageError.invalid("user id must not be empty") }
        return try await database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM workspace WHERE id = ?", arguments: [workspace]) == true else {
                throw StorageError.notFound("workspace \(workspace)")
            }
            return try Self.insertMember(db, workspace: workspace, userID: userID, role: role, now: StorageClock.now())
        }
    }

    public func member(id: String) async throws -> Member? {
        try await database.read { db in try Member.fetchOne(db, id: id) }
    }

    public func membership(workspace: String, user: String) async throws -> Member? {
        try await database.read { db in
            try Member.fetchOne(
                db, sql: "\(Member.selectSQL) WHERE member.workspace_id = ? AND member.user_id = ?",
                arguments: [workspace, user]
            )
        }
    }

    @discardableResult
    public func removeMember(id: String) async throws -> Member {
        try await database.write { db in try Member.delete(db, id: id) }
    }

    static func insertMember(_ db: Database, workspace: String, userID: String, role: MemberRole, now: Date) throws -> Member {
        try ensureUser(db, id: userID)
        if try Bool.fetchOne(
            db, sql: "SELECT 1 FROM member WHERE workspace_id = ? AND user_id = ?", arguments: [workspace, userID]
        ) == true {
            throw StorageError.conflict("user \(userID) is already a member of \(workspace)")
        }
        let member = Member(
            id: Identifier.make("mem"), workspaceID: workspace, userID: userID, role: role, createdAt: now,
            name: nil, email: nil
        )
        try Member.insert(member, db)
        return try Member.require(db, id: member.id)
    }
}
