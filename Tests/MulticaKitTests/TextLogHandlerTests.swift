import Logging
import Synchronization
import Testing

@testable import MulticaKit

/// `serve --log-format text` writes swift-log's `StreamLogHandler` line, metadata and
/// all, though it formats the metadata only when it writes.
@Suite("Text log lines")
struct TextLogHandlerTests {
    /// Collects what a handler writes.
    final class Lines: TextOutputStream, Sendable {
        private let text = Mutex("")
        var all: String { text.withLock { $0 } }
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    /// The line without its timestamp (the first word), which differs between two
    /// handlers writing a second apart.
    static func untimed(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? "" }
    }

    @Test func writesTheLineStreamLogHandlerWrites() {
        let ours = Lines(), theirs = Lines()
        var text = Logger(label: "multica.test") { TextLogHandler(label: $0, stream: ours) }
        var stream = Logger(label: "multica.test") { StreamLogHandler(label: $0, stream: theirs, metadataProvider: nil) }
        text[metadataKey: "hb.request.id"] = "42"
        stream[metadataKey: "hb.request.id"] = "42"
        text[metadataKey: "a.first"] = "x y"
        stream[metadataKey: "a.first"] = "x y"
        text.info("plain")
        stream.info("plain")
        text.warning("with more", metadata: ["zeta": "1", "a.first": "overridden"])
        stream.warning("with more", metadata: ["zeta": "1", "a.first": "overridden"])
        text[metadataKey: "hb.request.id"] = nil
        stream[metadataKey: "hb.request.id"] = nil
        text.error("after a removal", error: TokenError.expired)
        stream.error("after a removal", error: TokenError.expired)

        let lines = Self.untimed(ours.all)
        #expect(lines.count == 3)
        #expect(lines == Self.untimed(theirs.all))
        #expect(lines.first == "info multica.test: a.first=x y hb.request.id=42 [MulticaKitTests] plain")
    }

    @Test func writesNothingBelowItsLevel() {
        let ours = Lines()
        var logger = Logger(label: "quiet") { TextLogHandler(label: $0, stream: ours) }
        logger.logLevel = .error
        logger[metadataKey: "hb.request.id"] = "1"
        logger.info("not written")
        logger.warning("not written either")
        #expect(ours.all.isEmpty)
        logger.error("written")
        #expect(Self.untimed(ours.all) == ["error quiet: hb.request.id=1 [MulticaKitTests] written"])
    }
}
