import Foundation

/// A parsed `--server` URL: `http://host[:port][/prefix]`.
public struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// Path prefix without a trailing slash (`""` for the root).
    public let basePath: String
    public let original: String

    public init(_ string: String) throws(ClientError) {
        let trimmed = string.trimmingCharacters(in: .whitespaces)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased() else {
            throw .invalidURL("invalid server URL '\(string)': expected http://HOST[:PORT]")
        }
        guard scheme == "http" || scheme == "ws" else {
            throw .invalidURL("invalid server URL '\(string)': only http:// is supported (put TLS in a proxy in front of the server)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidURL("invalid server URL '\(string)': no host")
        }
        self.host = host
        self.port = components.port ?? 80
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
        self.original = trimmed
    }

    public var description: String { original }

    /// `host:port` as sent in the `Host` header.
    var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The full URL of a request path (for messages).
    public func url(_ pathAndQuery: String) -> String {
        "http://\(hostHeader)\(basePath)\(pathAndQuery)"
    }

    /// Percent-encodes one path segment or query value.
    public static func escape(_ component: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }
}
