/// A test-only mode for WebSocket conformance suites (Autobahn|Testsuite): `/ws`
/// keeps its upgrade channel, authorization, frame path and socket handler, but sends
/// no hello and no events and echoes every text and binary message, which is what
/// such suites expect of the server under test.
///
/// `multica serve` enables it only through `MULTICA_TEST_ECHO=1` and logs a warning
/// at start when it does (like `RoutingFault`). The inbound message limit is raised
/// to 16 MiB there so the suite's large-message cases (section 9) can run.
public enum EchoMode {
    public static let environmentVariable = "MULTICA_TEST_ECHO"
    /// Largest echoed message: Autobahn's section 9 sends up to 16 MiB.
    public static let maxMessageBytes = 16 * 1024 * 1024 + 1024

    public static func apply(to settings: inout SocketSettings) {
        settings.echo = true
        settings.maxInboundMessageBytes = maxMessageBytes
    }
}
