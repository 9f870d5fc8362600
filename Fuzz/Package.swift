// swift-tools-version:6.0
// libFuzzer targets for multica (issue 12). A separate package, depending on the main
// one by path, so the main build never sees -sanitize=fuzzer. Build and run with
// Fuzz/run.sh; see Fuzz/README.md.
import PackageDescription

let kit: Target.Dependency = .product(name: "MulticaKit", package: "multica")

let package = Package(
    name: "multica-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        // `.deps/multica` is a symlink to the repository root made by run.sh: a path
        // dependency's identity is its last path component, and the checkout's own
        // directory name varies (a worktree, a CI clone).
        .package(path: ".deps/multica"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(name: "FuzzJSON", dependencies: [kit]),
        .executableTarget(name: "FuzzToken", dependencies: [kit]),
        .executableTarget(
            name: "FuzzWebSocket",
            dependencies: [kit, .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .executableTarget(name: "FuzzRequestBody", dependencies: [kit]),
        // The CLI parser's files, symlinked from Sources/multica-cli (see main.swift).
        .executableTarget(name: "FuzzCLI"),
    ],
    swiftLanguageModes: [.v6]
)
