import Foundation
import Testing
@testable import MulticaKit

private func issue(
    title: String = "Fix login", status: IssueStatus = .backlog, priority: IssuePriority = .none,
    assignee: (AssigneeType, String)? = nil, creator: (ActorType, String) = (.member, "creator")
) -> MulticaKit.Issue {
    MulticaKit.Issue(
        id: "iss_1", workspaceID: "ws_1", title: title, description: nil, status: status, priority: priority,
        assigneeType: assignee?.0, assigneeID: assignee?.1, creatorType: creator.0, creatorID: creator.1,
        parentIssueID: nil, acceptanceCriteria: [], contextRefs: [], position: 1, dueDate: nil,
        createdAt: Date(), updatedAt: Date()
    )
}

private func summary(_ items: [NewInboxItem]) -> [String] {
    items.map { "\($0.recipientID) \($0.type)/\($0.severity.rawValue) \($0.title)" }
}

@Suite("Inbox service triggers")
struct InboxServiceTests {
    @Test func createdWithMemberAssigneeNotifiesAssignee() {
        let items = InboxService.issueCreated(issue(assignee: (.member, "bob")), actor: "creator")
        #expect(summary(items) == ["bob issue_assigned/action_required New issue assigned: Fix login"])
        #expect(items[0].recipientType == .member)
        #expect(items[0].workspaceID == "ws_1")
        #expect(items[0].issueID == "iss_1")
    }

    @Test func createdWithoutAssigneeOrWithAgentAssigneeNotifiesNobody() {
        #expect(InboxService.issueCreated(issue(), actor: "creator").isEmpty)
        #expect(InboxService.issueCreated(issue(assignee: (.agent, "agt_1")), actor: "creator").isEmpty)
    }

    @Test func createdAssignedToSelfStillNotifies() {
        let items = InboxService.issueCreated(issue(assignee: (.member, "creator")), actor: "creator")
        #expect(summary(items) == ["creator issue_assigned/action_required New issue assigned: Fix login"])
    }

    @Test func reassignmentNotifiesOldAndNewAssignee() {
        let old = issue(assignee: (.member, "alice"))
        let new = issue(assignee: (.member, "bob"))
        #expect(
            summary(InboxService.issueUpdated(from: old, to: new, actor: "creator")) == [
                "alice status_change/info Unassigned from: Fix login",
                "bob issue_assigned/action_required Assigned to you: Fix login",
            ])
    }

    @Test func oldAssigneeWhoIsTheActorIsNotNotified() {
        let old = issue(assignee: (.member, "alice"))
        let new = issue(assignee: (.member, "bob"))
        #expect(summary(InboxService.issueUpdated(from: old, to: new, actor: "alice")) == [
            "bob issue_assigned/action_required Assigned to you: Fix login"
        ])
    }

    @Test func oldAgentAssigneeAndNewAgentAssigneeGetNothing() {
        let old = issue(assignee: (.agent, "agt_1"))
        let new = issue(assignee: (.agent, "agt_2"))
        #expect(InboxService.issueUpdated(from: old, to: new, actor: "creator").isEmpty)
        #expect(summary(InboxService.issueUpdated(from: old, to: issue(assignee: (.member, "bob")), actor: "x")) == [
            "bob issue_assigned/action_required Assigned to you: Fix login"
        ])
    }

    @Test func unassigningNotifiesOnlyTheOldAssignee() {
        let old = issue(assignee: (.member, "alice"))
        #expect(summary(InboxService.issueUpdated(from: old, to: issue(), actor: "creator")) == [
            "alice status_change/info Unassigned from: Fix login"
        ])
    }

    @Test func statusChangeNotifiesAssigneeAndCreator() {
        let old = issue(status: .todo, assignee: (.member, "bob"))
        let new = issue(status: .inProgress, assignee: (.member, "bob"))
        #expect(summary(InboxService.issueUpdated(from: old, to: new, actor: "carol")) == [
            "bob status_change/info Fix login moved to in_progress",
            "creator status_change/info Fix login moved to in_progress",
        ])
    }

    @Test func statusChangeSkipsCreatorWhoIsActorOrAssigneeOrNotAMember() {
        let bob = (AssigneeType.member, "bob")
        // creator is the actor
        #expect(summary(InboxService.issueUpdated(from: issue(assignee: bob), to: issue(status: .done, assignee: bob), actor: "creator")) == [
            "bob status_change/info Fix login moved to done"
        ])
        // creator is the assignee: one item, not two
        let own = (AssigneeType.member, "creator")
        #expect(summary(InboxService.issueUpdated(from: issue(assignee: own), to: issue(status: .done, assignee: own), actor: "x")) == [
            "creator status_change/info Fix login moved to done"
        ])
        // creator is an agent
        let byAgent = (ActorType.agent, "agt_9")
        #expect(InboxService.issueUpdated(from: issue(creator: byAgent), to: issue(status: .done, creator: byAgent), actor: "x").isEmpty)
    }

    @Test func statusChangeWithoutAssigneeNotifiesCreatorOnly() {
        #expect(summary(InboxService.issueUpdated(from: issue(), to: issue(status: .todo), actor: "x")) == [
            "creator status_change/info Fix login moved to todo"
        ])
    }

    @Test func unchangedStatusAndAssigneeNotifyNobody() {
        let bob = (AssigneeType.member, "bob")
        #expect(InboxService.issueUpdated(from: issue(assignee: bob), to: issue(title: "Renamed", priority: .high, assignee: bob), actor: "x").isEmpty)
    }

    @Test func assigneeAndStatusChangeTogetherGiveAssigneeItemsFirst() {
        let old = issue(status: .todo, assignee: (.member, "alice"))
        let new = issue(status: .inProgress, assignee: (.member, "bob"))
        #expect(summary(InboxService.issueUpdated(from: old, to: new, actor: "creator")) == [
            "alice status_change/info Unassigned from: Fix login",
            "bob issue_assigned/action_required Assigned to you: Fix login",
            "bob status_change/info Fix login moved to in_progress",
        ])
    }

    @Test func commentNotifiesMemberAssigneeUnlessCommenter() {
        let target = issue(assignee: (.member, "bob"))
        func comment(by author: String) -> MulticaKit.Comment {
            MulticaKit.Comment(id: "c", issueID: target.id, authorType: .member, authorID: author, content: "hi", type: .comment, createdAt: Date(), updatedAt: Date())
        }
        #expect(summary(InboxService.commentAdded(comment(by: "alice"), on: target)) == ["bob mentioned/info New comment on: Fix login"])
        #expect(InboxService.commentAdded(comment(by: "bob"), on: target).isEmpty)
        #expect(InboxService.commentAdded(comment(by: "alice"), on: issue(assignee: (.agent, "agt_1"))).isEmpty)
        #expect(InboxService.commentAdded(comment(by: "alice"), on: issue()).isEmpty)
    }

    @Test func taskCompletedAndFailedNotifyMemberCreator() {
        let target = issue(assignee: (.agent, "agt_1"))
        #expect(summary(InboxService.taskCompleted(issue: target)) == ["creator review_requested/attention Review requested: Fix login"])
        let failed = InboxService.taskFailed(issue: target, error: "disk full")
        #expect(summary(failed) == ["creator agent_blocked/action_required Agent blocked: Fix login"])
        #expect(failed[0].body == "disk full")
        let agentCreated = issue(assignee: (.agent, "agt_1"), creator: (.agent, "agt_2"))
        #expect(InboxService.taskCompleted(issue: agentCreated).isEmpty)
        #expect(InboxService.taskFailed(issue: agentCreated).isEmpty)
    }
}

@Suite("Task service decisions")
struct TaskServicePlanTests {
    private let agent = (AssigneeType.agent, "agt_1")

    @Test func createdTodoWithAgentEnqueuesWithIssuePriority() {
        for (priority, expected) in [(IssuePriority.urgent, 4), (.high, 3), (.medium, 2), (.low, 1), (.none, 0)] {
            let plan = TaskService.plan(from: nil, to: issue(status: .todo, priority: priority, assignee: agent))
            #expect(plan == .init(cancelOpenTasks: false, enqueue: .init(agentID: "agt_1", priority: expected)))
        }
    }

    @Test func createdWithoutAgentOrNotTodoEnqueuesNothing() {
        #expect(TaskService.plan(from: nil, to: issue(status: .backlog, assignee: agent)).enqueue == nil)
        #expect(TaskService.plan(from: nil, to: issue(status: .todo, assignee: (.member, "bob"))).enqueue == nil)
        #expect(TaskService.plan(from: nil, to: issue(status: .todo)).enqueue == nil)
    }

    @Test func statusChangeToTodoCancelsThenEnqueues() {
        let plan = TaskService.plan(from: issue(status: .backlog, assignee: agent), to: issue(status: .todo, priority: .high, assignee: agent))
        #expect(plan == .init(cancelOpenTasks: true, enqueue: .init(agentID: "agt_1", priority: 3)))
    }

    @Test func reassignmentToAnotherAgentCancelsThenEnqueuesForIt() {
        let plan = TaskService.plan(from: issue(status: .todo, assignee: agent), to: issue(status: .todo, assignee: (.agent, "agt_2")))
        #expect(plan == .init(cancelOpenTasks: true, enqueue: .init(agentID: "agt_2", priority: 0)))
    }

    @Test func statusChangeAwayFromTodoOrUnassignCancelsOnly() {
        #expect(TaskService.plan(from: issue(status: .todo, assignee: agent), to: issue(status: .cancelled, assignee: agent)) == .init(cancelOpenTasks: true, enqueue: nil))
        #expect(TaskService.plan(from: issue(status: .todo, assignee: agent), to: issue(status: .todo)) == .init(cancelOpenTasks: true, enqueue: nil))
    }

    @Test func otherEditsLeaveTasksAlone() {
        let plan = TaskService.plan(from: issue(status: .todo, assignee: agent), to: issue(title: "New", status: .todo, priority: .urgent, assignee: agent))
        #expect(plan == .init(cancelOpenTasks: false, enqueue: nil))
    }
}
