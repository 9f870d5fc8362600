import Foundation

/// A unit of work on PostgreSQL: every method runs on the store's writer connection,
/// inside the group's transaction and the unit's own savepoint (see
/// `PostgresRepository.run`).
///
/// Concurrency across nodes: PostgreSQL runs transactions of other nodes alongside this
/// one (READ COMMITTED), so every single-row read a unit makes is `SELECT … FOR UPDATE`:
/// the row stays locked until commit, and a concurrent unit on another node that read
/// the same row waits and then sees this one's write (no lost update). Task claims lock
/// the agent row, which serialises the `max_concurrent_tasks` check per agent.
///
/// Events: `append` only collects them; the backend numbers and stores every unit's
/// events at the end of the group, one statement per workspace in id order (see
/// `PostgresRepository.run`).
///
/// Threading: lives on the publisher's writer thread for the length of one closure.
final class PostgresUnitOfWork: UnitOfWork {
    private let session: PostgresSession
    private(set) var pending: [NewEvent] = []

    init(_ session: PostgresSession) {
        self.session = session
    }

    // MARK: - Workspaces and members

    func workspace(id: String) throws -> Workspace? {
        try Workspace.fetchOne(session, id: id, forUpdate: true)
    }

    func createWorkspace(name: String, slug: String, description: String?, ownerUserID: String) throws -> (Workspace, Member) {
        try RecordRules.checkWorkspace(name: name, slug: slug, ownerUserID: ownerUserID)
        var taken = PostgresStatement()
        taken.add("SELECT 1 FROM workspace WHERE slug = \(taken.bind(slug))")
        if try !session.rows(taken.query).isEmpty { throw StorageError.conflict("slug '\(slug)' is taken") }
        let now = StorageClock.now()
        let workspace = Workspace(name: name, slug: slug, description: description, at: now)
        try Workspace.insert(workspace, session)
        let member = try insertMember(workspace: workspace.id, userID: ownerUserID, role: .owner, now: now)
        return (workspace, member)
    }

    func updateWorkspace(_ workspace: Workspace) throws -> Workspace {
        let updated = try Workspace.require(session, id: workspace.id).revised(by: workspace)
        try Workspace.update(updated, keeping: ["slug", "created_at"], session)
        return updated
    }

    func deleteWorkspace(id: String) throws -> Workspace {
        session.forgetLockedMembers()
        return try Workspace.delete(session, id: id)
    }

    func members(workspace: String) throws -> [Member] {
        try session.records(PostgresReads.members(workspace: workspace))
    }

    func member(id: String) throws -> Member? {
        try Member.fetchOne(session, id: id, forUpdate: true)
    }

    func membership(workspace: String, user: String) throws -> Member? {
        var statement = PostgresReads.membership(workspace: workspace, user: user)
        statement.add(" FOR UPDATE OF member")
        let member: Member? = try session.record(statement)
        if let member { session.rememberLocked(member) }
        return member
    }

    /// One statement for every workspace. `FOR SHARE` is enough to keep a removal on
    /// another node from committing in between (its DELETE needs the row exclusively),
    /// while two nodes publishing as the same member do not queue behind each other's
    /// whole group; rows are locked in workspace id order, as the cursor rows are.
    /// A membership an earlier unit of this transaction already locked is not asked
    /// again (the group of single-event publishes asks once per member and workspace).
    func memberships(user: String, workspaces: [String]) throws -> [String: Member] {
        var found: [String: Member] = [:]
        var missing: [String] = []
        for workspace in Set(workspaces) {
            if let member = session.lockedMember(workspace: workspace, user: user) {
                found[workspace] = member
            } else {
                missing.append(workspace)
            }
        }
        guard !missing.isEmpty else { return found }
        var statement = PostgresStatement()
        statement.add("\(Member.selectSQL) WHERE member.user_id = \(statement.bind(user))")
        statement.add(" AND member.workspace_id = ANY(\(statement.bind(texts: missing.sorted())))")
        statement.add(" ORDER BY member.workspace_id FOR SHARE OF member")
        let members: [Member] = try session.records(statement)
        for member in members {
            session.rememberLocked(member)
            found[member.workspaceID] = member
        }
        return found
    }

    func addMember(workspace: String, userID: String, role: MemberRole) throws -> Member {
        try RecordRules.checkUserID(userID)
        guard try session.exists(table: "workspace", id: workspace) else { throw StorageError.notFound("workspace \(workspace)") }
        return try insertMember(workspace: workspace, userID: userID, role: role, now: StorageClock.now())
    }

    func removeMember(id: String) throws -> Member {
        session.forgetLockedMembers()
        return try Member.delete(session, id: id)
    }

    private func insertMember(workspace: String, userID: String, role: MemberRole, now: Date) throws -> Member {
        try session.execute(PostgresRepository.ensureUser(id: userID).query)
        if try session.record(PostgresReads.membership(workspace: workspace, user: userID), as: Member.self) != nil {
            throw StorageError.conflict("user \(userID) is already a member of \(workspace)")
        }
        let member = Member(workspace: workspace, userID: userID, role: role, at: now)
        try Member.insert(member, session)
        return try Member.require(session, id: member.id, forUpdate: false)
    }

    // MARK: - Issues and comments

    func issue(id: String) throws -> Issue? {
        try Issue.fetchOne(session, id: id, forUpdate: true)
    }

    func issues(workspace: String, status: IssueStatus?, assignee: String?, limit: Int?) throws -> [Issue] {
        try session.records(PostgresReads.issues(workspace: workspace, status: status, assignee: assignee, limit: limit))
    }

    func createIssue(_ draft: NewIssue) throws -> Issue {
        try RecordRules.checkIssue(title: draft.title, assigneeType: draft.assigneeType, assigneeID: draft.assigneeID)
        // Locking the workspace row orders concurrent creations in it, so two nodes
        // cannot both read the same MAX(position).
        guard try Workspace.fetchOne(session, id: draft.workspaceID, forUpdate: true) != nil else {
            throw StorageError.notFound("workspace \(draft.workspaceID)")
        }
        let position: Double
        if let given = draft.position {
            position = given
        } else {
            var last = PostgresStatement()
            last.add("SELECT MAX(position) AS p FROM issue WHERE workspace_id = \(last.bind(draft.workspaceID))")
            let row = try session.rows(last.query).first.map(PostgresRecordRow.init)
            position = (try row?.optionalReal("p") ?? 0) + 1
        }
        let issue = Issue(draft: draft, position: position, at: StorageClock.now())
        try Issue.insert(issue, session)
        return issue
    }

    func updateIssue(_ issue: Issue) throws -> Issue {
        let updated = try Issue.require(session, id: issue.id).revised(by: issue)
        try Issue.update(updated, keeping: ["workspace_id", "created_at"], session)
        return updated
    }

    func updateIssue(_ issue: Issue, stored: Issue) throws -> Issue {
        try updateIssue(issue)
    }

    func deleteIssue(id: String) throws -> Issue {
        try Issue.delete(session, id: id)
    }

    func comment(id: String) throws -> Comment? {
        try Comment.fetchOne(session, id: id, forUpdate: true)
    }

    func createComment(_ draft: NewComment) throws -> Comment {
        try RecordRules.checkComment(content: draft.content)
        guard try session.exists(table: "issue", id: draft.issueID) else { throw StorageError.notFound("issue \(draft.issueID)") }
        let comment = Comment(draft: draft, at: StorageClock.now())
        try Comment.insert(comment, session)
        return comment
    }

    func updateComment(_ comment: Comment) throws -> Comment {
        let updated = try Comment.require(session, id: comment.id).revised(by: comment)
        try Comment.update(updated, session)
        return updated
    }

    func deleteComment(id: String) throws -> Comment {
        try Comment.delete(session, id: id)
    }

    // MARK: - Agents, inbox, tasks

    func agent(id: String) throws -> Agent? {
        try Agent.fetchOne(session, id: id, forUpdate: true)
    }

    func createAgent(_ draft: NewAgent) throws -> Agent {
        try RecordRules.checkAgent(name: draft.name, maxConcurrentTasks: draft.maxConcurrentTasks)
        guard try session.exists(table: "workspace", id: draft.workspaceID) else {
            throw StorageError.notFound("workspace \(draft.workspaceID)")
        }
        let agent = Agent(draft: draft, at: StorageClock.now())
        try Agent.insert(agent, session)
        return agent
    }

    func updateAgent(_ agent: Agent) throws -> Agent {
        let updated = try Agent.require(session, id: agent.id).revised(by: agent)
        try Agent.update(updated, keeping: ["workspace_id", "created_at"], session)
        return updated
    }

    func deleteAgent(id: String) throws -> Agent {
        try Agent.delete(session, id: id)
    }

    func inboxItem(id: String) throws -> InboxItem? {
        try InboxItem.fetchOne(session, id: id, forUpdate: true)
    }

    func createInboxItem(_ draft: NewInboxItem) throws -> InboxItem {
        let item = InboxItem(draft: draft, at: StorageClock.now())
        try InboxItem.insert(item, session)
        return item
    }

    func markInboxRead(id: String) throws -> InboxItem {
        try setInboxFlag(id: id, column: "read")
    }

    func archiveInboxItem(id: String) throws -> InboxItem {
        try setInboxFlag(id: id, column: "archived")
    }

    private func setInboxFlag(id: String, column: String) throws -> InboxItem {
        var statement = PostgresStatement()
        statement.add("UPDATE inbox_item SET \(column) = TRUE WHERE id = \(statement.bind(id))")
        try session.execute(statement.query)
        return try InboxItem.require(session, id: id, forUpdate: false)
    }

    func task(id: String) throws -> AgentTask? {
        try AgentTask.fetchOne(session, id: id, forUpdate: true)
    }

    func enqueueTask(workspace: String, agentID: String, issueID: String, priority: Int) throws -> AgentTask {
        try RecordRules.checkTaskPriority(priority)
        let task = AgentTask(workspace: workspace, agentID: agentID, issueID: issueID, priority: priority, at: StorageClock.now())
        try AgentTask.insert(task, session)
        return task
    }

    func claimTask(agentID: String) throws -> AgentTask? {
        // The agent row's lock serialises claims of one agent across nodes, so the
        // concurrency limit holds.
        var agent = PostgresStatement()
        agent.add("SELECT max_concurrent_tasks FROM agent WHERE id = \(agent.bind(agentID)) FOR UPDATE")
        guard let limitRow = try session.rows(agent.query).first.map(PostgresRecordRow.init),
              let limit = try limitRow.optionalInteger("max_concurrent_tasks")
        else {
            throw StorageError.notFound("agent \(agentID)")
        }
        guard try activeTaskCount(agentID: agentID) < limit else { return nil }
        var next = PostgresStatement()
        next.add("""
            SELECT * FROM agent_task WHERE agent_id = \(next.bind(agentID)) AND status = 'queued'
            ORDER BY priority DESC, created_at, ord LIMIT 1 FOR UPDATE
            """)
        guard var task = try session.record(next, as: AgentTask.self) else { return nil }
        task.status = .dispatched
        task.dispatchedAt = StorageClock.now()
        try AgentTask.update(task, session)
        return task
    }

    func updateTask(_ task: AgentTask) throws -> AgentTask {
        let updated = try AgentTask.require(session, id: task.id).revised(by: task)
        try AgentTask.update(updated, session)
        return updated
    }

    func openTasks(issueID: String) throws -> [AgentTask] {
        try session.records(PostgresReads.openTasks(issueID: issueID))
    }

    func activeTaskCount(agentID: String) throws -> Int {
        let row = try session.rows(PostgresReads.activeTaskCount(agentID: agentID).query).first.map(PostgresRecordRow.init)
        return Int(try row?.optionalInteger("n") ?? 0)
    }

    // MARK: - Events

    func append(_ event: NewEvent) {
        pending.append(event)
    }
}
