import Foundation

/// The address that opens the web viewer signed in (`multica open`, SPEC §2):
/// `SERVER/#token=…&workspace=…`. The token rides in the fragment, which browsers
/// never send to a server, so no access log or proxy sees it; the page reads it,
/// keeps it in sessionStorage and wipes it from the address bar.
public enum ViewerLink {
    public static func url(server: ServerAddress, token: String, workspace: String?) -> String {
        var base = server.original
        while base.hasSuffix("/") { base.removeLast() }
        if base.lowercased().hasPrefix("ws://") { base = "http://" + base.dropFirst(5) }
        var fragment = "token=" + encode(token)
        if let workspace, !workspace.isEmpty { fragment += "&workspace=" + encode(workspace) }
        return base + "/#" + fragment
    }

    /// Percent-encodes everything but the unreserved characters (RFC 3986), so `&`,
    /// `=` or `#` in a value cannot split the fragment.
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    private static var unreserved: CharacterSet { CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") }
}
