import NIOHTTP1

/// The request-head limits of the HTTP/1.1 decoder, set explicitly rather than left
/// to NIO's defaults (80 KB per field, 2 MB in all, 256 fields), so that what a client
/// may make the server buffer before the first byte of a handler runs is small and
/// written down. A request over any of them is answered 431 and the connection closed
/// (`HTTPParseErrorResponder`).
///
/// Sizes: a token is at most 8 KiB (SPEC §3) and travels in `Authorization`, the
/// `Sec-WebSocket-Protocol` list or `?token=`, so one field or the request line may
/// hold 16 KiB; the whole head 64 KiB.
public enum HTTPLimits {
    /// Largest request line, and largest single header field (name + value).
    public static let maxFieldBytes = 16 * 1024
    /// Largest head: request line plus every header field.
    public static let maxHeadBytes = 64 * 1024
    /// Most header fields in one request.
    public static let maxHeaderCount = 100

    static var decoder: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxFieldBytes
        limits.maxHeaderListSize = maxHeadBytes
        limits.maxHeaderFieldCount = maxHeaderCount
        return limits
    }
}
