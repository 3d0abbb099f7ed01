// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets over GenLedger's parsers (`make fuzz`). Each is built with
// `-sanitize=fuzzer,address`; a crash or an invariant broken is a finding, fixed and then kept
// as a regression case in the tests (Tests/LedgerLogTests/FuzzRegressionTests.swift).

let package = Package(
    name: "GenLedgerFuzz",
    dependencies: [.package(name: "GenLedger", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        // The JSON parser and RFC 8785 canonicalization: parse, canonicalize, parse again.
        .executableTarget(
            name: "fuzz-json", dependencies: ["FuzzDriver", .product(name: "LedgerLog", package: "GenLedger")]),
        // The policy loader: YAML to a document, then the governance policy, table and catalog readers.
        .executableTarget(
            name: "fuzz-policy",
            dependencies: [
                "FuzzDriver", .product(name: "LedgerLog", package: "GenLedger"), .product(name: "Governance", package: "GenLedger"),
            ]
        ),
        // Signed notes and checkpoints.
        .executableTarget(
            name: "fuzz-note", dependencies: ["FuzzDriver", .product(name: "LedgerLog", package: "GenLedger")]),
        // Proof documents (verify-proof's reader) and RFC 9162 verification of what they claim.
        .executableTarget(
            name: "fuzz-proof", dependencies: ["FuzzDriver", .product(name: "LedgerLog", package: "GenLedger")]),
        // The append input reader: a line to a proposed event, then the vocabulary's decoder.
        .executableTarget(
            name: "fuzz-append-input",
            dependencies: [
                "FuzzDriver", .product(name: "LedgerLog", package: "GenLedger"), .product(name: "Governance", package: "GenLedger"),
            ]
        ),
    ]
)
