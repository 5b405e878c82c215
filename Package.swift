// swift-tools-version: 6.0
import PackageDescription

// Module map (one concern each):
//   CCurl, CArchive, CCrypto  system libraries (libcurl, libarchive, OpenSSL libcrypto)
//   CMalloc                   glibc's malloc extensions (malloc_trim)
//   RinglogSupport            ordered JSON with verbatim numbers, SHA-256, time formats
//   CurlHTTP                  HTTP on libcurl: streaming, headers, typed transport errors
//   RingCentral               RingCentral API client, models, rate-limit governor
//   ArchiveStore              everything about the tree: names, durable I/O, lease, codecs, reader, the one writer
//                             (a leaf: no network code)
//   Traffic                   pure traffic maths (no I/O): Erlang B/C, staffing, interval tallies, day planner, SVG charts
//   ArchiveExport             the export (reproducible tarballs on libarchive) and verify passes: clients of
//                             ArchiveStore, no network code
//   ArchivePasses             retention (policy, holds, purge, trash) and exclusion passes over the tree, through
//                             ArchiveStore's writer only (no network code)
//   ArchiveSync               the sync engine: RingCentral → the tree, through ArchiveStore's writer
//   RingSimulator             the RingCentral-faithful simulator (library, also used in-process by tests)
//   ringlog                   the archiver CLI: links RingCentral, never the simulator; `erlang`, `traffic`, `plan` on Traffic
//   ringlog-simulator         the simulator's executable (FlyingFox web server)
let package = Package(
    name: "ringlog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ringlog", targets: ["ringlog"]),
        .executable(name: "ringlog-simulator", targets: ["ringlog-simulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        .systemLibrary(name: "CMalloc"),

        .target(name: "RinglogSupport", dependencies: ["CCrypto", "CMalloc"]),
        .target(name: "CurlHTTP", dependencies: [
            "CCurl", "RinglogSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "RingCentral", dependencies: [
            "CurlHTTP", "RinglogSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ArchiveStore", dependencies: ["RinglogSupport"]),
        .target(name: "Traffic"),
        .target(name: "ArchiveExport", dependencies: ["ArchiveStore", "RinglogSupport", "CArchive"]),
        .target(name: "ArchivePasses", dependencies: ["ArchiveStore", "RinglogSupport"]),
        .target(name: "ArchiveSync", dependencies: [
            "ArchiveStore", "RingCentral", "CurlHTTP", "RinglogSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "RingSimulator", dependencies: [
            "RinglogSupport",
            .product(name: "FlyingFox", package: "FlyingFox"),
        ]),
        .executableTarget(name: "ringlog", dependencies: [
            "ArchiveStore", "ArchivePasses", "ArchiveSync", "ArchiveExport", "RingCentral", "CurlHTTP", "RinglogSupport", "Traffic",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "ringlog-simulator", dependencies: [
            "RingSimulator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Helpers shared by the test targets: the simulator as a child process, the ringlog binary.
        .target(name: "RinglogTestSupport", dependencies: [
            "RingCentral", "CurlHTTP", "RinglogSupport",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/RinglogTestSupport"),
        .testTarget(name: "RinglogSupportTests", dependencies: ["RinglogSupport"]),
        // The calculator against published vectors and exact arithmetic; the reports through the CLI's own functions.
        .testTarget(name: "TrafficTests", dependencies: ["Traffic", "ringlog", "ArchiveStore", "RinglogSupport", "RinglogTestSupport"]),
        .testTarget(name: "SimulatorTests", dependencies: ["RingSimulator", "CurlHTTP", "RinglogSupport", "RinglogTestSupport"]),
        .testTarget(name: "ArchiveStoreTests", dependencies: ["ArchiveStore", "RinglogSupport", "RinglogTestSupport"]),
        .testTarget(name: "ArchivePassesTests", dependencies: [
            "ArchivePasses", "ArchiveStore", "ArchiveExport", "RinglogSupport", "RinglogTestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "ArchiveSyncTests", dependencies: [
            "ArchiveStore", "ArchivePasses", "ArchiveSync", "ArchiveExport", "RingCentral", "CurlHTTP", "RinglogSupport", "RinglogTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ArchiveExportTests", dependencies: [
            "ArchiveExport", "ArchiveStore", "RinglogSupport", "RinglogTestSupport",
        ]),
        .testTarget(name: "RingCentralTests", dependencies: [
            "RingCentral", "RingSimulator", "CurlHTTP", "RinglogSupport", "RinglogTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
