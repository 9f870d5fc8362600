import Foundation
import MulticaKit

/// `member add|remove|list --workspace W …`.
enum MemberCommands {
    static func add(_ context: CommandContext) async throws {
        let client = try API.client(context)
        let flags = context.flags
        let workspace = flags.string("workspace") ?? "", user = flags.string("user") ?? ""
        let member = try await API.call(context) { () async throws(ClientError) in
            try await client.addMember(workspaceID: workspace, userID: user, role: flags.string("role"))
        }
        let t = context.terminal
        if flags.bool("json") { t.outLine(member.raw); return }
        t.out(table([member.value], t))
    }

    static func remove(_ context: CommandContext) async throws {
        let client = try API.client(context)
        let workspace = context.flags.string("workspace") ?? "", user = context.flags.string("user") ?? ""
        try await API.call(context) { () async throws(ClientError) in
            try await client.removeMember(workspaceID: workspace, memberOrUserID: user)
        }
        if context.terminal.stdoutIsTTY && !context.flags.bool("json") {
            context.terminal.out("removed \(user) from \(workspace)")
        }
    }

    static func list(_ context: CommandContext) async throws {
        let client = try API.client(context)
        let workspace = context.flags.string("workspace") ?? ""
        let members = try await API.call(context) { () async throws(ClientError) in
            try await client.listMembers(workspaceID: workspace)
        }
        let t = context.terminal
        if context.flags.bool("json") { t.outLine(members.raw); return }
        t.out(table(members.value, t))
    }

    private static func table(_ members: [Member], _ t: Terminal) -> String {
        Table.render(["ID", "USER", "ROLE", "NAME", "EMAIL", "SINCE"],
                     members.map { [$0.id, $0.userID, $0.role.rawValue, $0.name ?? "-", $0.email ?? "-", Timestamp.format($0.createdAt)] },
                     terminal: t)
    }
}
