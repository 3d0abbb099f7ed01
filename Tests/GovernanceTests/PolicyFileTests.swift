import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

@Suite("policies/: every kind of file error names file, line, field and reason; publish appends only changes")
struct PolicyFileTests {
    @Test("the shipped policies/ folder is valid")
    func shippedFolder() throws {
        let folder = try PolicyFolder(directory: RepositoryFiles.path("policies"))
        #expect(folder.catalog.models.count >= 12)
        #expect(Set(folder.catalog.models.map(\.tier)) == Set(Tier.allCases))
        #expect(folder.tables.map(\.table.name).sorted() == ["image", "video"])
    }

    /// Edits one file of a copy of policies/ and returns the errors the folder reports.
    static func errors(editing file: String, _ edit: (String) -> String) throws -> [GovernanceError] {
        let directory = TemporaryDirectory("genledger-policies")
        let root = try RepositoryFiles.copyOfPolicies(in: directory)
        let path = (root as NSString).appendingPathComponent(file)
        try edit(try String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try PolicyFolder(directory: root)
            return []
        } catch let error as PolicyFolderError {
            return error.errors
        }
    }

    static func lineNumber(of needle: String, in file: String) throws -> Int {
        let text = try String(contentsOfFile: RepositoryFiles.path("policies/\(file)"), encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(needle) }) + 1
    }

    @Test(
        "each kind of error",
        arguments: [
            // (file, text to replace, replacement, field, reason, line of)
            (
                "governance.yaml", "max_attempts: 8", "max_attempts: eight", "regeneration_caps[0].max_attempts",
                "must be an integer", "max_attempts: 8"
            ),
            (
                "governance.yaml", "action: warn}", "action: shout}", "regeneration_caps[0].action", "'shout' is not one of",
                "max_attempts: 8"
            ),
            ("governance.yaml", "currency: USD", "colour: blue\ncurrency: USD", "colour", "unknown field", "currency: USD"),
            ("governance.yaml", "approvers: [approver:lena, approver:marcus]", "", "approvers", "required, missing", nil),
            ("governance.yaml", "version: 1", "version: 1\nversion: 2", "version", "duplicate key", "author: governance"),
            ("governance.yaml", "regeneration_caps:", "regeneration_caps: [", "", "not valid YAML", nil),
            ("models.yaml", "tier: cinematic", "tier: hero", "models[0].tier", "'hero' is not one of", "tier: cinematic"),
            (
                "models.yaml", "amount: 0.40", "amount: -0.40", "models[0].prices[0].amount", "must not be negative",
                "amount: 0.40"
            ),
            (
                "models.yaml", "currency: USD}", "currency: DOLLARS}", "models[0].prices[0].currency", "'DOLLARS' is not one of",
                "amount: 0.40"
            ),
            (
                "models.yaml", "effective: 2026-01-15", "effective: 2026-13-15", "models[0].prices[0].effective", "not a date",
                "amount: 0.40"
            ),
            (
                "routing/video.yaml", "primary: veo-3.1", "primary: veo-9", "rules[1].primary", "not in models.yaml",
                "primary: veo-3.1"
            ),
            (
                "routing/video.yaml", "primary: hailuo-02", "primary: veo-3.1", "rules[0].primary",
                "is cinematic tier; the rule routes to budget", "primary: hailuo-02"
            ),
            (
                "routing/video.yaml",
                "tier: speed\n    primary: kling-2.5-turbo\n    fallbacks:\n      default: [seedance-1-pro]",
                "tier: budget\n    primary: hailuo-02\n    fallbacks:\n      default: [seedance-1-pro]", "rules[5].tier",
                "not allowed for delivery work", nil
            ),
            (
                "routing/video.yaml", "      timeout: [sora-2-pro]", "      sunspots: [sora-2-pro]",
                "rules[1].fallbacks.sunspots", "not a failure mode", "timeout: [sora-2-pro]"
            ),
        ] as [(String, String, String, String, String, String?)])
    func fileErrors(file: String, find: String, replace: String, field: String, reason: String, lineOf: String?) throws {
        let errors = try Self.errors(editing: file) { text in
            #expect(text.contains(find), "fixture text not found in \(file)")
            return text.replacingOccurrences(of: find, with: replace)
        }
        let error = try #require(errors.first, "no error for \(file): \(find) → \(replace)")
        #expect(error.file?.hasSuffix(file) == true, "\(error)")
        #expect(error.description.contains(reason), "\(error)")
        if !field.isEmpty { #expect(error.field == field, "\(error)") }
        #expect(error.line != nil, "\(error)")
        if let lineOf { #expect(error.line == (try Self.lineNumber(of: lineOf, in: file)), "\(error)") }
    }

    @Test("a missing file is named")
    func missingFile() throws {
        let directory = TemporaryDirectory("genledger-policies")
        let root = try RepositoryFiles.copyOfPolicies(in: directory)
        try FileManager.default.removeItem(atPath: (root as NSString).appendingPathComponent("governance.yaml"))
        #expect {
            try PolicyFolder(directory: root)
        } throws: { error in
            (error as? PolicyFolderError)?.errors.first?.file?.hasSuffix("governance.yaml") == true
        }
    }

    @Test("publish appends only what changed, and a changed document must raise its version")
    func publishOnlyChanges() throws {
        let directory = TemporaryDirectory("genledger-policies")
        let root = try RepositoryFiles.copyOfPolicies(in: directory)
        let studio = try Studio(policies: root)
        let published = try studio.ledger.events()
        #expect(published.filter { $0.type == "model.registered" }.count == 16)
        #expect(published.filter { $0.type == "policy.published" }.count == 1)
        #expect(published.filter { $0.type == "routing.table_published" }.count == 2)
        #expect(published.contains { $0.type == "model.status_changed" && $0.stream == "model/legacy-gen2" })
        #expect(try studio.governed.publish(try PolicyFolder(directory: root)).isEmpty)

        let governance = (root as NSString).appendingPathComponent("governance.yaml")
        let text = try String(contentsOfFile: governance, encoding: .utf8)
        try text.replacingOccurrences(of: "max_attempts: 8", with: "max_attempts: 9").write(
            toFile: governance, atomically: true, encoding: .utf8)
        #expect {
            try studio.governed.publish(try PolicyFolder(directory: root))
        } throws: { error in
            let error = error as? GovernanceError
            return error?.field == "version" && error?.line == (try? Self.lineNumber(of: "version: 1", in: "governance.yaml"))
                && error?.description.contains("raise the version") == true
        }
        try text.replacingOccurrences(of: "max_attempts: 8", with: "max_attempts: 9").replacingOccurrences(
            of: "version: 1", with: "version: 2"
        )
        .write(toFile: governance, atomically: true, encoding: .utf8)
        let models = (root as NSString).appendingPathComponent("models.yaml")
        try String(contentsOfFile: models, encoding: .utf8).replacingOccurrences(
            of: "      - {effective: 2026-01-15, unit: per-second, amount: 0.40, currency: USD}",
            with:
                "      - {effective: 2026-01-15, unit: per-second, amount: 0.40, currency: USD}\n      - {effective: 2026-08-01, unit: per-second, amount: 0.35, currency: USD}"
        ).write(toFile: models, atomically: true, encoding: .utf8)
        let second = try studio.governed.publish(try PolicyFolder(directory: root))
        let types = try second.map { try studio.ledger.event(seq: $0.appended.seq)!.type }
        #expect(types == ["model.pricing_changed", "policy.published"])
        #expect(studio.governed.state.policyInForce?.version == 2)
        #expect(studio.governed.state.models["veo-3.1"]?.price(on: CalendarDate("2026-08-02")!).amount == Money(0.35, .USD))
    }
}
