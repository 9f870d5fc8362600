/// "Did you mean" suggestions.
enum Suggest {
    /// Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions).
    static func distance(_ a: String, _ b: String) -> Int {
        let s = Array(a), t = Array(b)
        if s.isEmpty { return t.count }
        if t.isEmpty { return s.count }
        var d = Array(repeating: Array(repeating: 0, count: t.count + 1), count: s.count + 1)
        for i in 0...s.count { d[i][0] = i }
        for j in 0...t.count { d[0][j] = j }
        for i in 1...s.count {
            for j in 1...t.count {
                let cost = s[i - 1] == t[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[s.count][t.count]
    }

    /// The candidate nearest to `input`, if it is near enough to be a plausible typo:
    /// a distance of at most a third of the longer word (at least 1), or `input` is a
    /// prefix of exactly one candidate. Ties go to the earlier candidate.
    static func nearest(_ input: String, among candidates: [String]) -> String? {
        let lowered = input.lowercased()
        if let exact = candidates.first(where: { $0.lowercased() == lowered }) { return exact }
        var best: (String, Int)? = nil
        for candidate in candidates {
            let d = distance(lowered, candidate.lowercased())
            let limit = max(1, max(lowered.count, candidate.count) / 3)
            if d <= limit, d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        if let best { return best.0 }
        if lowered.count >= 2 {
            let prefixed = candidates.filter { $0.lowercased().hasPrefix(lowered) }
            if prefixed.count == 1 { return prefixed[0] }
        }
        return nil
    }

    /// `"; did you mean 'X'?"` or an empty string.
    static func clause(_ input: String, among candidates: [String]) -> String {
        nearest(input, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
