// swift-tools-version:6.0
import PackageDescription

// Strict, explicit module boundaries for every target (see ../shared/STYLE.md).
let upcomingFeatures: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "GenLedger",
    products: [
        .library(name: "LedgerLog", targets: ["LedgerLog"]),
        .library(name: "Governance", targets: ["Governance"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "ContentCredentials", targets: ["ContentCredentials"]),
        .library(name: "LedgerService", targets: ["LedgerService"]),
        .executable(name: "genledger", targets: ["genledger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Already built for Hummingbird; named here for its HTTP-types pipeline parts (the connection guard).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Tests only: property-based checks of canonicalization and Merkle proofs (pure Swift, small).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // C libraries, reached through thin shims; no C type appears in a public API.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CTLS",
            path: "Sources/CTLS",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CPostgreSQL",
            path: "Sources/CPostgreSQL",
            providers: [.apt(["libpq-dev"])]
        ),
        // The libpq functions GenLedger calls, forwarding to libpq loaded on first use: a
        // process that never opens a PostgreSQL ledger does not load it (or its 19 libraries).
        .target(name: "CPostgreSQLLoader", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            providers: [.apt(["libssl-dev"])]
        ),

        // Log layer: envelope, canonical bytes, SQLite store, hash chain, Merkle tree,
        // checkpoints, proofs, keys. Knows nothing about AI pipelines.
        .target(name: "LedgerLog", dependencies: ["CSQLite", "COpenSSL", "CPostgreSQL", "CPostgreSQLLoader"]),

        // C2PA Content Credentials written from the specifications: CBOR, JUMBF, COSE_Sign1, the
        // manifest store, PNG and JPEG embedding; keys and certificates through OpenSSL's libcrypto.
        // A format library: knows nothing about ledgers' domain (SHA-256 comes from LedgerLog).
        .target(name: "ContentCredentials", dependencies: ["LedgerLog", "COpenSSL"]),

        // Governance layer: the event vocabulary, policies/, the append-time gate and the routing
        // engine. Knows no SQL, HTTP or terminal.
        .target(name: "Governance", dependencies: ["LedgerLog", .product(name: "Yams", package: "Yams")]),

        // A client of the Governance layer: a seeded studio writing realistic history through the gate.
        .target(name: "Simulation", dependencies: ["LedgerLog", "Governance", "ContentCredentials"]),

        // Projections layer: read models folded from the log, kept beside it, rebuilt and checked.
        .target(name: "Projections", dependencies: ["LedgerLog", "Governance"]),

        // Interfaces layer: report rendering (Markdown, JSON, CSV, HTML with SVG) and the command line.
        .target(name: "Reports", dependencies: ["LedgerLog", "Governance", "Projections", "ContentCredentials"]),

        // Interfaces layer: the requests the ledger makes itself (witnesses, webhooks, provider
        // outputs, published tiles), HTTP/1.1 over OpenSSL's libssl instead of URLSession and libcurl.
        .target(name: "OutboundHTTP", dependencies: ["CTLS"]),

        // Interfaces layer: the HTTP service (`genledger serve`), a thin layer over the same library.
        .target(
            name: "LedgerService",
            dependencies: [
                "LedgerLog", "Governance", "Projections", "Reports", "OutboundHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "genledger",
            dependencies: [
                "LedgerLog",
                "Governance",
                "Simulation",
                "Projections",
                "Reports",
                "ContentCredentials",
                "LedgerService",
                "OutboundHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(
            name: "LedgerTestSupport", dependencies: ["LedgerLog", "Governance", "CSQLite", "CPostgreSQL", "CPostgreSQLLoader"],
            path: "Tests/LedgerTestSupport"),
        .testTarget(
            name: "LedgerLogTests",
            dependencies: [
                "LedgerLog", "LedgerTestSupport", "CSQLite", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "GovernanceTests",
            dependencies: ["Governance", "Simulation", "LedgerLog", "LedgerTestSupport"]
        ),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: ["Projections", "Reports", "Governance", "Simulation", "LedgerLog", "LedgerTestSupport"]
        ),
        .testTarget(
            name: "ContentCredentialsTests",
            dependencies: ["ContentCredentials", "LedgerLog"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "GenLedgerCLITests",
            dependencies: ["LedgerLog", "LedgerTestSupport", "genledger"]
        ),
        .testTarget(
            name: "OutboundHTTPTests",
            dependencies: ["OutboundHTTP", "LedgerTestSupport"]
        ),
        .testTarget(
            name: "LedgerServiceTests",
            dependencies: ["LedgerLog", "Governance", "LedgerTestSupport", "genledger"]
        ),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + upcomingFeatures
}
