import Foundation

/// The web viewer's files (SPEC §8), compiled into the binary from
/// `WebAssetSources.generated.swift` so that `multica serve` works from any folder.
///
/// Ownership: one immutable value built once by the server composition and shared by
/// every request (Sendable, no locks). The bundle has one content hash over every file:
/// the page references its modules under `/assets/<hash>/…`, so ES-module relative
/// imports (`./store.js`) stay hashed too, every asset can be cached forever
/// (`immutable`), and a new build changes every URL at once.
public struct WebAssets: Sendable {
    public struct File: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
    }

    /// 16 hex digits over every file name and byte.
    public let hash: String
    /// `index.html` with `{{ASSETS}}` replaced by `/assets/<hash>`.
    public let page: [UInt8]
    private let files: [String: File]

    /// The embedded copy.
    public static let embedded = WebAssets(sources: WebAssetSources.files)

    public init(sources: [(path: String, contents: String)]) {
        var hasher = FNV1a64()
        var files: [String: File] = [:]
        for (path, contents) in sources.sorted(by: { $0.path < $1.path }) {
            let bytes = Array(contents.utf8)
            hasher.combine(Array(path.utf8))
            hasher.combine([0])
            hasher.combine(bytes)
            hasher.combine([0])
            files[path] = File(bytes: bytes, contentType: Self.contentType(of: path))
        }
        hash = hasher.hex
        let index = sources.first { $0.path == "index.html" }?.contents ?? "<!doctype html><title>multica</title>"
        page = Array(index.replacingOccurrences(of: "{{ASSETS}}", with: "/assets/\(hash)").utf8)
        files["index.html"] = nil
        self.files = files
    }

    /// An asset by its name under `/assets/<hash>/`; nil for an unknown name or
    /// another build's hash (the caller answers 404).
    public func asset(hash: String, name: String) -> File? {
        guard hash == self.hash else { return nil }
        return files[name]
    }

    /// Total bytes of the embedded files, page included (reported by tests).
    public var totalBytes: Int { page.count + files.values.reduce(0) { $0 + $1.bytes.count } }
    public var names: [String] { files.keys.sorted() }

    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        default: return "application/octet-stream"
        }
    }
}

/// 64-bit FNV-1a: a cache-busting fingerprint, not a security boundary.
struct FNV1a64 {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ bytes: [UInt8]) {
        for byte in bytes {
            state ^= UInt64(byte)
            state &*= 0x0000_0100_0000_01b3
        }
    }

    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
