import ArgumentParser
import Foundation
import LedgerLog
import OutboundHTTP

struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Write the log as static files (C2SP tlog-tiles) for any web host to serve.",
        discussion: """
            Writes, as of the latest checkpoint, the hash tiles (tile/L/N), the entry bundles \
            (tile/entries/N; each entry is an event hash) and then the signed checkpoint into DIR. \
            Run it after each `genledger checkpoint`: full tiles already there are kept, so it \
            writes only what is new. `genledger verify-tiles` (or any tlog-tiles client) checks \
            them with the verifier key alone. docs/FORMAT.md §9.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "The directory to write the tiles into (created if absent).")
    var tiles: String

    func run() throws {
        try reportingErrors {
            let published = try ledger.open().publishTiles(to: tiles)
            print(
                "published tree size \(published.treeSize), root \(published.root.base64): \(published.written) files written, \(published.kept) full tiles kept, in \(tiles)"
            )
        }
    }
}

struct VerifyTiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-tiles",
        abstract: "Check a log published as tiles, from its files alone (a directory or an http(s) URL).",
        discussion: """
            Verifies the checkpoint's signature with --key, then either every tile (each entry \
            bundle against its level-0 tile, each higher tile against the one below, the root \
            against the checkpoint) or, with --seq, the inclusion of those events from the few tiles \
            on their paths; with --since OLD_CHECKPOINT, that the published tree extends it. \
            Exit 0 when it holds, 2 when it does not.
            """)

    @Argument(help: "The publication: a directory, or the URL it is served at.")
    var source: String

    @Option(name: .customLong("key"), help: "A trusted verifier key (or a file holding one). Repeatable.")
    var keys: [String] = []

    @Option(name: .customLong("seq"), help: "Prove this event's inclusion from the tiles (repeatable).")
    var seqs: [UInt64] = []

    @Option(help: "An older signed checkpoint the published tree must extend.")
    var since: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if keys.isEmpty { throw ValidationError("--key is required: the verifier key the checkpoint must be signed with") }
    }

    func run() throws {
        try reportingErrors {
            let verifier = TileVerifier(read: try Self.reader(for: source))
            let report = try verifier.verify(
                keys: try keys.map(parseVerifierKey), seqs: seqs,
                since: try since.map { try readTextFile($0, what: "older checkpoint") })
            if json {
                var object: [String: JSONValue] = [
                    "ok": true, "tree_size": .number(Double(report.treeSize)), "root": .string(report.root.base64),
                    "origin": .string(report.origin), "verified_by": .array(report.verifiedBy.map(JSONValue.string)),
                    "tiles_read": .number(Double(report.tilesRead)), "every_tile": .bool(report.everyTileChecked),
                    "included": .array(report.included.map { .number(Double($0)) }),
                ]
                if let size = report.consistentWith { object["consistent_with"] = .number(Double(size)) }
                print(CanonicalJSON.string(of: .object(object)))
                return
            }
            print("OK: \(report.origin), tree size \(report.treeSize), root \(report.root.base64), signed by \(report.verifiedBy.joined(separator: ", "))")
            if report.everyTileChecked { print("every tile checked (\(report.tilesRead) files)") }
            for seq in report.included { print("seq \(seq) is included") }
            if let size = report.consistentWith { print("extends the checkpoint of size \(size)") }
        }
    }

    /// Reads files from a directory, or over HTTP(S) from a base URL (404: absent).
    static func reader(for source: String) throws -> TileVerifier.Read {
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            let base = source.hasSuffix("/") ? source : source + "/"
            return { path in
                guard let url = URL(string: base + path) else { return nil }
                // Every file of the layout is under 9 KiB (a tile 8 KiB, an entry bundle 256 × 34
                // bytes, a checkpoint a few lines): 1 MiB bounds what a hostile server can send.
                let response = try OutboundClient.shared.send(
                    OutboundRequest(url: url, timeout: 30, maxResponseBytes: 1 << 20, redirects: 5))
                if response.status == 404 { return nil }
                guard response.status == 200 else { throw LedgerError(.storage, "GET \(url) answered HTTP \(response.status)") }
                return response.body
            }
        }
        return { path in
            let full = "\(source)/\(path)"
            guard FileManager.default.fileExists(atPath: full) else { return nil }
            guard let data = FileManager.default.contents(atPath: full) else {
                throw LedgerError(.storage, "cannot read \(full)")
            }
            return Array(data)
        }
    }
}
