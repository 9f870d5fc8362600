import Foundation
import MulticaKit

/// One human line per event: time, seq, type coloured by family, actor, and a short
/// summary of the payload.
enum EventRendering {
    static func line(_ event: ReceivedEvent, terminal t: Terminal) -> String {
        let e = event.envelope
        let ts = Timestamp.format(e.timestamp)
        let time = String(ts.dropFirst(11).prefix(12))
        let type = colour(e.type, t)
        let pad = String(repeating: " ", count: max(0, 18 - e.type.rawValue.count))
        let actor = e.actorID.isEmpty ? e.actorType.rawValue : "\(e.actorType.rawValue):\(e.actorID)"
        var parts = [t.dim(time), "#\(e.seq)".padding(toLength: max(6, "#\(e.seq)".count), withPad: " ", startingAt: 0), type + pad, actor]
        let text = summary(e)
        if !text.isEmpty { parts.append(text) }
        if e.synthetic { parts.append(t.dim("(synthetic)")) }
        return parts.joined(separator: " ")
    }

    static func colour(_ type: EventType, _ t: Terminal) -> String {
        let name = type.rawValue
        switch type.family {
        case "issue": return t.blue(name)
        case "comment": return t.cyan(name)
        case "agent": return t.magenta(name)
        case "task": return t.yellow(name)
        case "inbox": return t.green(name)
        case "workspace", "member": return t.bold(name)
        case "daemon": return t.dim(name)
        default: return name
        }
    }

    /// A one-line summary of the payload, at most 100 characters.
    static func summary(_ e: EventEnvelope) -> String {
        guard let payload = try? EventJSON.decoder.decode(JSONValue.self, from: Data(e.payload.bytes)) else { return "" }
        func s(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let v): return v
            case .int(let v): return String(v)
            case .double(let v): return String(v)
            case .bool(let v): return String(v)
            default: return nil
            }
        }
        var text: String
        switch e.type {
        case .issueCreated, .issueUpdated:
            let issue = payload["issue"]
            text = "\"\(s(issue?["title"]) ?? "?")\" [\(s(issue?["status"]) ?? "?"), \(s(issue?["priority"]) ?? "?")]"
        case .commentCreated, .commentUpdated:
            let c = payload["comment"]
            text = "on \(s(c?["issue_id"]) ?? "?"): \"\(s(c?["content"]) ?? "")\""
        case .agentCreated, .agentStatus:
            let a = payload["agent"]
            text = "\(s(a?["name"]) ?? "?") [\(s(a?["status"]) ?? "?")]"
        case .taskProgress:
            let step = s(payload["step"]).map { " (\($0)/\(s(payload["total"]) ?? "?"))" } ?? ""
            text = "\(s(payload["task_id"]) ?? "?"): \(s(payload["summary"]) ?? "")\(step)"
        case .taskDispatch, .taskCompleted, .taskFailed:
            text = "\(s(payload["task_id"]) ?? "?") agent=\(s(payload["agent_id"]) ?? "?") issue=\(s(payload["issue_id"]) ?? "?")"
        case .inboxNew:
            let item = payload["item"]
            text = "→ \(s(item?["recipient_id"]) ?? "?"): \"\(s(item?["title"]) ?? "")\" [\(s(item?["severity"]) ?? "?")]"
        case .workspaceUpdated:
            let w = payload["workspace"]
            text = "\(s(w?["name"]) ?? "?") (\(s(w?["slug"]) ?? "?"))"
        case .memberAdded:
            let m = payload["member"]
            text = "\(s(m?["user_id"]) ?? "?") as \(s(m?["role"]) ?? "?")"
        default:
            guard case .object(let members) = payload else { return "" }
            text = members.keys.sorted().compactMap { key in s(members[key]).map { "\(key)=\($0)" } }
                .prefix(4).joined(separator: " ")
        }
        text = text.replacingOccurrences(of: "\n", with: " ")
        return text.count > 100 ? String(text.prefix(99)) + "…" : text
    }
}
