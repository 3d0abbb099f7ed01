import Foundation
import LedgerTestSupport
import Testing

/// docs/openapi.yaml is valid OpenAPI 3.1, and schemathesis (installed by `make test`), fuzzing
/// every operation against a live server, finds no server error and no answer that breaks it.
@Suite(.serialized) struct OpenAPITests {
    static let spec = RepositoryFiles.path("docs/openapi.yaml")

    /// Runs a program found on PATH in a scratch directory (schemathesis keeps a cache in its
    /// working directory, which must not land in the clone); its output, and its exit status.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        process.currentDirectoryURL = scratch
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    @Test func specIsValidOpenAPI31() throws {
        let check = try Self.run(
            "python3",
            [
                "-c",
                "import sys, yaml; from openapi_spec_validator import validate; d = yaml.safe_load(open(sys.argv[1])); "
                    + "assert d['openapi'].startswith('3.1'); validate(d); print('valid')",
                Self.spec,
            ])
        #expect(check.status == 0 && check.output.contains("valid"), "\(check.output)")
    }

    @Test func schemathesisFindsNoServerErrorAndNoSchemaViolation() async throws {
        let server = try LiveServer(arguments: ["--rate-limit", "0"]) { setup in
            try setup.genledger([
                "simulate", "--seed", "9", "--deliverables", "30", "--months", "2", "--policies",
                RepositoryFiles.path("policies"),
            ])
            try setup.genledger(["checkpoint"])
        }
        let approver = try server.setup.genledger(["token", "create", "--role", "approver", "--name", "approver:lena"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let checks =
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"
        let common = [
            "run", Self.spec, "--url", "http://127.0.0.1:\(server.port)", "--checks", checks, "--max-examples", "25",
            "--seed", "20261125", "--warnings", "off", "--no-color",
        ]
        // Everything as admin (the live stream never ends, so its own test covers it)...
        let all = try Self.run(
            "python3",
            ["-m", "schemathesis.cli"] + common + [
                "-H", "Authorization: Bearer \(server.tokens["admin"]!)", "--exclude-path", "/v1/events/stream",
            ])
        #expect(all.status == 0, "\(all.output.suffix(6000))")
        #expect(all.output.contains("No issues found"))
        // ...and overrides as an approver the policy lists, so they get past 403.
        let overrides = try Self.run(
            "python3",
            ["-m", "schemathesis.cli"] + common + ["-H", "Authorization: Bearer \(approver)", "--include-path", "/v1/overrides"])
        #expect(overrides.status == 0, "\(overrides.output.suffix(6000))")
        // The server is still up and the ledger still verifies after the fuzzing.
        #expect(try await server.get("/healthz", role: nil).status == 200)
        try server.setup.genledger(["verify"])
    }
}
