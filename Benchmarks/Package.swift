// swift-tools-version:6.0
import PackageDescription

// Benchmarks live apart from the tests and build in release: `make bench`.
let package = Package(
    name: "GenLedgerBenchmarks",
    dependencies: [.package(name: "GenLedger", path: "..")],
    targets: [
        // The raw-insert baseline talks to libsqlite3 directly, with no ledger in between.
        .systemLibrary(name: "BenchSQLite", path: "Sources/BenchSQLite"),
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "LedgerLog", package: "GenLedger"), .product(name: "Governance", package: "GenLedger"),
                .product(name: "Simulation", package: "GenLedger"),
            ]
        ),
        .executableTarget(
            name: "ledger-bench",
            dependencies: ["BenchSQLite", "BenchSupport", .product(name: "LedgerLog", package: "GenLedger")]
        ),
        // Projections and reports on a simulated history: rebuild, upkeep per event, time per report.
        .executableTarget(
            name: "report-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "LedgerLog", package: "GenLedger"), .product(name: "Governance", package: "GenLedger"),
                .product(name: "Projections", package: "GenLedger"), .product(name: "Reports", package: "GenLedger"),
            ]
        ),
        // Replay under a candidate routing table over a simulated history.
        .executableTarget(
            name: "replay-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "LedgerLog", package: "GenLedger"), .product(name: "Governance", package: "GenLedger"),
                .product(name: "Projections", package: "GenLedger"),
            ]
        ),
        // Durable appends over HTTP with 1, 8 and 32 clients (wrk), group commit against one commit per request.
        .executableTarget(name: "service-bench", dependencies: ["BenchSupport"]),
        // Durable appends through 1, 2 and 3 service instances on one PostgreSQL ledger, beside SQLite and pgbench.
        .executableTarget(name: "instances-bench", dependencies: ["BenchSupport"]),
        // `genledger import` (audit mode) against the bare log append, on a simulated history.
        .executableTarget(
            name: "import-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "LedgerLog", package: "GenLedger"), .product(name: "Governance", package: "GenLedger"),
            ]
        ),
        // One-shot `gate check` and `append` processes on ledgers of growing size.
        .executableTarget(name: "oneshot-bench", dependencies: ["BenchSupport", .product(name: "LedgerLog", package: "GenLedger")]),
        // Validation and the gate against the bare log append, on a simulated history.
        .executableTarget(
            name: "gate-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "LedgerLog", package: "GenLedger"), .product(name: "Governance", package: "GenLedger"),
            ]
        ),
    ]
)
