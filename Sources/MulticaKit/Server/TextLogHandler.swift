import Logging

/// `serve --log-format text`: swift-log's `StreamLogHandler` line, with the metadata
/// formatted only when a line is written.
///
/// Why not `StreamLogHandler` itself: it formats its whole metadata (sorted, joined)
/// every time one key is set, and Hummingbird sets `hb.request.id` on a copy of the
/// logger for every request, so each request paid for formatting a line that, below
/// the log level, is never written (2.6% of the server's CPU under `GET /api/issues`).
/// Here setting a key is one dictionary store; `log(event:)` gives the metadata to a
/// copy of a `StreamLogHandler`, so a written line is byte for byte what it was.
///
/// Threading: a value type, like every `LogHandler`; the stream is swift-log's locked
/// stderr (or what a test passes), safe to write from any thread.
public struct TextLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    /// Writes the lines; its own metadata stays empty, so nothing is formatted early.
    private var writer: StreamLogHandler

    /// A handler writing to standard error.
    public static func standardError(label: String) -> TextLogHandler {
        TextLogHandler(writer: .standardError(label: label))
    }

    /// A handler writing to `stream` (tests collect the lines this way).
    public init(label: String, stream: any TextOutputStream & Sendable) {
        self.init(writer: StreamLogHandler(label: label, stream: stream))
    }

    private init(writer: StreamLogHandler) {
        self.writer = writer
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { writer.metadataProvider }
        set { writer.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = writer
        line.logLevel = logLevel
        line.metadata = metadata
        line.log(event: event)
    }
}
