/// `--type GLOB` matching: `*` any run of characters, `?` one character, everything
/// else literal. Several globs match when any of them does; no glob matches all.
public struct TypeFilter: Sendable, Equatable {
    public let globs: [String]

    public init(_ globs: [String]) { self.globs = globs }

    public func matches(_ type: String) -> Bool {
        globs.isEmpty || globs.contains { Self.match(glob: $0, type) }
    }

    public static func match(glob: String, _ text: String) -> Bool {
        let p = Array(glob.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0
        var star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || (p[pi] != "*" && p[pi] == t[ti]) {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
