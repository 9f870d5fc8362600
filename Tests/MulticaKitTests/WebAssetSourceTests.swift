import Foundation
import Testing

@testable import MulticaKit

/// The viewer's files are compiled in from `Sources/MulticaKit/Web/Assets` through a
/// generated Swift source. This suite is its generator: it fails when the committed
/// file is stale, and rewrites it when run with `MULTICA_REGENERATE=1`.
@Suite struct WebAssetSourceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let assets = root.appendingPathComponent("Sources/MulticaKit/Web/Assets")
    static let generated = root.appendingPathComponent("Sources/MulticaKit/Web/WebAssetSources.generated.swift")

    /// The asset files, sorted by name.
    static func sources() throws -> [(path: String, contents: String)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: assets.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { name in
            (name, try String(contentsOf: assets.appendingPathComponent(name), encoding: .utf8))
        }
    }

    /// One raw multi-line literal per file, its `#` count chosen so no `"#…` or `\#…`
    /// in the file can end the literal or start an escape.
    static func render(_ files: [(path: String, contents: String)]) -> String {
        var lines = [
            "// Generated from Sources/MulticaKit/Web/Assets by WebAssetSourceTests; do not edit.",
            "// Regenerate: MULTICA_REGENERATE=1 swift test --filter WebAssetSourceTests",
            "",
            "/// The web viewer's files, embedded in the binary (served by `WebAssets`).",
            "enum WebAssetSources {",
            "    static let files: [(path: String, contents: String)] = [",
        ]
        for (path, contents) in files {
            var hashes = "#"
            while contents.contains("\"" + hashes) || contents.contains("\\" + hashes) { hashes += "#" }
            lines.append("        (")
            lines.append("            \"\(path)\",")
            lines.append("            \(hashes)\"\"\"")
            lines.append(contents + "\n\"\"\"" + hashes)
            lines.append("        ),")
        }
        lines.append("    ]")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func generatedSourceIsUpToDate() throws {
        let files = try Self.sources()
        #expect(!files.isEmpty)
        for file in files { #expect(!file.contents.contains("\r"), "\(file.path): CR line endings would not survive the literal") }
        let expected = Self.render(files)
        if ProcessInfo.processInfo.environment["MULTICA_REGENERATE"] == "1" {
            try expected.write(to: Self.generated, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: Self.generated, encoding: .utf8)
        #expect(committed == expected, "WebAssetSources.generated.swift is stale: run MULTICA_REGENERATE=1 swift test --filter WebAssetSourceTests")
    }

    /// What the binary embeds is byte for byte the files on disk (the literal kept them).
    @Test func embeddedCopyEqualsTheFiles() throws {
        let onDisk = try Self.sources()
        let embedded = WebAssetSources.files
        #expect(embedded.map(\.path) == onDisk.map(\.path))
        for (a, b) in zip(embedded, onDisk) { #expect(a.contents == b.contents, "\(a.path) differs from its embedded copy") }
        let bundle = WebAssets.embedded
        print("web viewer: \(bundle.totalBytes) bytes embedded in \(embedded.count) files (hash \(bundle.hash)): "
              + embedded.map { "\($0.path) \($0.contents.utf8.count)" }.joined(separator: ", "))
    }
}
