import Foundation
import Testing

@testable import MulticaKit

@Suite("Event model")
struct EventModelTests {
    @Test func catalogHasTheTwentyOneTypesOfTheSpec() {
        let names = EventType.catalog.map(\.rawValue)
        #expect(names.count == 21)
        #expect(Set(names).count == 21)
        #expect(names == [
            "issue:created", "issue:updated", "issue:deleted",
            "comment:created", "comment:updated", "comment:deleted",
            "agent:created", "agent:status", "agent:deleted",
            "task:dispatch", "task:progress", "task:completed", "task:failed",
            "inbox:new", "inbox:read", "inbox:archived",
            "workspace:updated", "member:added", "member:removed",
            "daemon:register", "daemon:heartbeat",
        ])
        for type in EventType.catalog {
            #expect(EventType(rawValue: type.rawValue) == type)
            #expect(type.isCatalog)
        }
    }

    @Test(arguments: ["deploy:started", "ci_2:run_1", "a:b", "x9:y"])
    func customTypesOfTheRightFormAreAccepted(_ raw: String) {
        let type = EventType(rawValue: raw)
        #expect(type != nil)
        #expect(type?.isCatalog == false)
    }

    @Test(arguments: [
        "", "deploy", "Deploy:started", "deploy:Started", "deploy:", ":started", "deploy:started:now",
        "deploy-x:started", "deploy:st arted", "issue:craeted", "daemon:anything", "inbox:sneaky", "ïssue:x",
    ])
    func malformedOrReservedTypesAreRejected(_ raw: String) {
        #expect(EventType(rawValue: raw) == nil)
    }

    @Test func familiesDriveRouting() {
        #expect(EventType.inboxRead.isPersonal)
        #expect(!EventType.issueCreated.isPersonal)
        #expect(EventType.daemonHeartbeat.isWorkspaceless)
        #expect(EventType.memberRemoved.family == "member")
        for type in EventType.catalog {
            #expect(type.isPersonal == (type.family == "inbox"))
            #expect(type.isWorkspaceless == (type.family == "daemon"))
        }
        // A custom family that only begins like a reserved one routes like any other.
        for raw in ["inboxes:new", "daemons:beat", "inbo:x", "daemo:x"] {
            guard let type = EventType(rawValue: raw) else {
                Issue.record("\(raw) should be a valid custom type")
                continue
            }
            #expect(type.isPersonal == false)
            #expect(type.isWorkspaceless == false)
        }
    }

    private func sample(payload: String) throws -> EventEnvelope {
        EventEnvelope(
            id: "evt_1", seq: 42, type: .issueUpdated, workspaceID: "ws_\"q\"", actorType: .member, actorID: "usr\n1",
            timestamp: Date(timeIntervalSince1970: 1_795_953_600.123), synthetic: true,
            payload: try RawJSONObject(validating: payload)
        )
    }

    @Test func frameHasTheSpecKeysInOrderAndThePayloadVerbatim() throws {
        let payload = #"{"z":1,"big":1234567890123456789,"f":1.50,"a":[true,null]}"#
        let frame = String(decoding: try sample(payload: payload).frame(), as: UTF8.self)
        #expect(frame == #"{"id":"evt_1","seq":42,"type":"issue:updated","workspace_id":"ws_\"q\"","actor_type":"member","actor_id":"usr\n1","ts":"2026-11-29T12:00:00.123Z","synthetic":true,"payload":{"z":1,"big":1234567890123456789,"f":1.50,"a":[true,null]}}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(frame.utf8)) is [String: Any])
    }

    @Test func frameParsesBackKeepingPayloadBytes() throws {
        let original = try sample(payload: #"{ "big" : 1234567890123456789 , "f":1.50 }"#)
        let parsed = try EventEnvelope(frame: original.frame())
        #expect(parsed == original)
        #expect(String(decoding: parsed.payload.bytes, as: UTF8.self) == #"{ "big" : 1234567890123456789 , "f":1.50 }"#)
    }

    @Test func frameParsingNamesTheProblem() throws {
        #expect(throws: EventEnvelope.FrameError.missingField("seq")) {
            try EventEnvelope(frame: Array(#"{"id":"e","type":"issue:created","workspace_id":"w","actor_type":"member","actor_id":"a","ts":"2026-11-29T08:00:00Z","synthetic":false,"payload":{}}"#.utf8))
        }
        #expect(throws: EventEnvelope.FrameError.invalidField("type")) {
            try EventEnvelope(frame: Array(#"{"id":"e","seq":1,"type":"nope","workspace_id":"w","actor_type":"member","actor_id":"a","ts":"2026-11-29T12:00:00Z","synthetic":false,"payload":{}}"#.utf8))
        }
    }

    @Test func codableRoundTripKeepsEveryField() throws {
        let original = try sample(payload: #"{"n":5,"s":"x"}"#)
        let data = try JSONEncoder().encode(original)
        let decoded = try JSONDecoder().decode(EventEnvelope.self, from: data)
        #expect(decoded.id == original.id)
        #expect(decoded.seq == 42)
        #expect(decoded.type == .issueUpdated)
        #expect(decoded.workspaceID == original.workspaceID)
        #expect(decoded.actorID == original.actorID)
        #expect(decoded.timestamp == original.timestamp)
        #expect(decoded.synthetic)
        #expect(decoded.payload.string("s") == "x")
    }

    @Test func recipientIsReadFromEitherPayloadShape() throws {
        var event = try sample(payload: #"{"item":{"id":"inb_1","recipient_id":"usr_bob"}}"#)
        #expect(event.recipientID == "usr_bob")
        event.payload = try RawJSONObject(validating: #"{"item_id":"inb_1","recipient_id":"usr_carol"}"#)
        #expect(event.recipientID == "usr_carol")
        event.payload = .empty
        #expect(event.recipientID == nil)
    }

    @Test func timestampsAreRFC3339WithMilliseconds() {
        #expect(Timestamp.format(millisecondsSince1970: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.format(millisecondsSince1970: 1_795_953_600_123) == "2026-11-29T12:00:00.123Z")
        #expect(Timestamp.parse("2026-11-29T12:00:00.123Z") == Date(timeIntervalSince1970: 1_795_953_600.123))
        #expect(Timestamp.parse("2026-11-29T13:00:00+01:00") == Date(timeIntervalSince1970: 1_795_953_600))
        #expect(Timestamp.parse("yesterday") == nil)
    }

    /// The digit-by-digit formatter writes what the padded-string one wrote, before 1970
    /// (where seconds round down) and up to the year 9999 included.
    @Test func timestampsMatchThePaddedStringFormatting() {
        func padded(_ millis: Int64) -> String {
            let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
            let ms = Int(millis - seconds * 1000)
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            func pad(_ v: Int32, _ width: Int) -> String {
                let s = String(v)
                return String(repeating: "0", count: max(0, width - s.count)) + s
            }
            return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
                + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
        }
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [0, 1, 999, 1000, -1, -999, -1000, -1001, -62_135_596_800_000, 253_402_300_799_999]
        let sampled = (0..<2000).map { _ in Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &generator) }
        for millis in edges + sampled {
            #expect(Timestamp.format(millisecondsSince1970: millis) == padded(millis), "at \(millis)")
        }
    }

    @Test func identifiersArePrefixedUniqueAndTimeOrdered() {
        let a = Identifier.make("evt", now: Date(timeIntervalSince1970: 1000))
        let b = Identifier.make("evt", now: Date(timeIntervalSince1970: 2000))
        #expect(a.hasPrefix("evt_") && a.count == 30)
        #expect(a < b)
        #expect(Set((0..<1000).map { _ in Identifier.make("x") }).count == 1000)
    }
}
