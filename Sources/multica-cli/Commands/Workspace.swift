import Foundation
import MulticaKit

/// `workspace create NAME [--slug S]`, `workspace list`, `workspace show ID`.
enum WorkspaceCommands {
    static func create(_ context: CommandContext) async throws {
        let name = context.invocation.positionals[0]
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CLIError.usage("invalid value '\(name)' for NAME: must not be blank")
        }
        let client = try API.client(context)
        let created = try await API.call(context) { () async throws(ClientError) in
            try await client.createWorkspace(name: name, slug: context.flags.string("slug"))
        }
        render(created, context)
    }

    static func list(_ context: CommandContext) async throws {
        let client = try API.client(context)
        let list = try await API.call(context) { () async throws(ClientError) in try await client.listWorkspaces() }
        let t = context.terminal
        if context.flags.bool("json") { t.outLine(list.raw); return }
        if list.value.isEmpty { Terminal.err("no workspaces"); return }
        t.out(Table.render(["ID", "SLUG", "NAME", "CREATED"],
                           list.value.map { [$0.id, $0.slug, $0.name, Timestamp.format($0.createdAt)] }, terminal: t))
    }

    static func show(_ context: CommandContext) async throws {
        let client = try API.client(context)
        let id = context.invocation.positionals[0]
        let workspace = try await API.call(context) { () async throws(ClientError) in try await client.showWorkspace(id) }
        render(workspace, context)
    }

    private static func render(_ workspace: Received<Workspace>, _ context: CommandContext) {
        let t = context.terminal
        if context.flags.bool("json") { t.outLine(workspace.raw); return }
        let w = workspace.value
        var settings = "{}"
        if let data = try? EventJSON.encoder.encode(w.settings) { settings = String(decoding: data, as: UTF8.self) }
        t.out(Table.render(["FIELD", "VALUE"], [
            ["id", w.id], ["name", w.name], ["slug", w.slug], ["description", w.description ?? "-"],
            ["settings", settings], ["created_at", Timestamp.format(w.createdAt)], ["updated_at", Timestamp.format(w.updatedAt)],
        ], terminal: t))
    }
}
