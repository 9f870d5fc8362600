import Foundation

/// A decoded answer together with the exact bytes it came from, so `--json` can
/// print what the server sent.
public struct Received<Value: Sendable>: Sendable {
    public var value: Value
    public var raw: [UInt8]
}

/// One event to publish through `POST /api/events`.
public struct OutgoingEvent: Sendable {
    public var type: String
    public var workspaceID: String
    public var payload: RawJSONObject

    public init(type: String, workspaceID: String, payload: RawJSONObject) {
        self.type = type
        self.workspaceID = workspaceID
        self.payload = payload
    }

    /// `{"type":…,"workspace_id":…,"payload":<bytes as given>}`.
    func append(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"type":"#.utf8)
        JSONString.append(type, to: &out)
        out.append(contentsOf: #","workspace_id":"#.utf8)
        JSONString.append(workspaceID, to: &out)
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(contentsOf: payload.bytes)
        out.append(UInt8(ascii: "}"))
    }
}

/// What the server answers for one published event.
public struct PublishedEvent: Sendable, Codable, Equatable {
    public var id: String
    public var seq: Int64
    public var type: String
    public var workspaceID: String

    enum CodingKeys: String, CodingKey {
        case id, seq, type
        case workspaceID = "workspace_id"
    }
}

/// An event as received (REST page or WebSocket frame): the parsed envelope and the
/// exact bytes.
public struct ReceivedEvent: Sendable {
    public var envelope: EventEnvelope
    public var raw: [UInt8]

    public init(raw: [UInt8]) throws(EventEnvelope.FrameError) {
        self.envelope = try EventEnvelope(frame: raw)
        self.raw = raw
    }
}

/// One page of `GET /api/events`.
public struct EventPage: Sendable {
    public var events: [ReceivedEvent]
    public var headSeq: Int64
    public var lowestRetainedSeq: Int64
}
