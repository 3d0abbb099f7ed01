import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// `genledger publish --tiles` against C2SP tlog-tiles, checked two ways: by `genledger
/// verify-tiles`, and by a verifier nobody here wrote (Go's golang.org/x/mod/sumdb/tlog and
/// sumdb/note from Debian's golang-golang-x-mod-dev, driven by Tests/Fixtures/tlog-tiles-go),
/// on one ledger grown across the tile boundaries (1, 255, 256, 257, 600 and 65 600 events: a
/// partial tile, a full one, a level-1 tile, a level-2 partial), published incrementally.
@Suite(.serialized) struct TileTests {
    static var go: String? {
        ["/usr/bin/go", "/usr/lib/go/bin/go"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the Go checker on a publication: (status, what it printed).
    static func goCheck(_ directory: String, key: String, older: String? = nil) throws -> (Int32, String) {
        guard let go else { throw GoMissing() }
        let result = try ExternalTool.run(
            go, ["run", RepositoryFiles.path("Tests/Fixtures/tlog-tiles-go/tilecheck.go"), directory, key] + (older.map { [$0] } ?? []),
            environment: [
                "GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": NSTemporaryDirectory() + "genledger-gocache",
                "GOFLAGS": "",
            ])
        return (result.status, result.output)
    }

    struct GoMissing: Error, CustomStringConvertible {
        var description: String { "no Go: `make test` installs Debian's golang-go and golang-golang-x-mod-dev" }
    }

    @Test("published at each size across the tile boundaries, both verifiers agree, incrementally and against the older checkpoints")
    func tilesAcrossBoundaries() throws {
        let directory = TemporaryDirectory("genledger-tiles")
        let (ledger, signer) = try LedgerFixtures.make(in: directory, origin: "tiles.example/log")
        let key = signer.verifierKey.description
        let publication = directory.path("pub")
        var older: String?
        var appended = 0
        for size in [1, 255, 256, 257, 600, 65_600] {
            var batch = LedgerFixtures.events(size - appended)
            for i in batch.indices { batch[i].id = UUID() }
            for chunk in stride(from: 0, to: batch.count, by: 5000) {
                _ = try ledger.append(Array(batch[chunk..<min(chunk + 5000, batch.count)]))
            }
            appended = size
            let checkpoint = try ledger.issueCheckpoint(signers: [signer])
            let before = Self.files(publication)
            let published = try ledger.publishTiles(to: publication)
            #expect(published.treeSize == UInt64(size) && published.root == checkpoint.root)
            // Full tiles already there are never written again.
            for (path, bytes) in before where !path.contains(".p/") && path != "checkpoint" {
                #expect(Self.files(publication)[path] == bytes, "\(path) changed")
            }
            let cli = try GenLedgerProcess.run(["verify-tiles", publication, "--key", key, "--json"], in: directory)
            #expect(cli.status == 0, "size \(size): \(cli.stderr)")
            #expect(cli.stdout.contains("\"every_tile\":true") && cli.stdout.contains("\"tree_size\":\(size)"))
            let olderFile = directory.path("older-\(size).checkpoint")
            try older?.write(toFile: olderFile, atomically: true, encoding: .utf8)
            let (status, output) = try Self.goCheck(publication, key: key, older: older.map { _ in olderFile })
            #expect(status == 0 && output.contains("ok \(size)"), "size \(size): Go's tlog says \(output)")
            if older != nil {
                let seqs = [1, size / 2, size].map { ["--seq", String($0)] }.flatMap { $0 }
                let proven = try GenLedgerProcess.run(
                    ["verify-tiles", publication, "--key", key, "--since", olderFile] + seqs, in: directory)
                #expect(proven.status == 0 && proven.stdout.contains("extends the checkpoint"), "size \(size): \(proven.stderr)")
            }
            older = checkpoint.note
        }
        // The partial and full tiles a tree of 65 600 has, by path.
        let paths = Set(Self.files(publication).keys)
        for path in ["tile/0/255", "tile/0/256.p/64", "tile/1/000", "tile/2/000.p/1", "tile/entries/256.p/64", "tile/0/001.p/1"] {
            #expect(paths.contains(path), "\(path) is published")
        }
        #expect(!paths.contains("tile/1/001.p/1"), "no level-1 tile beyond the 256 full level-0 tiles")
        // A fresh publication of the same ledger is byte for byte the incremental one's latest tiles.
        let fresh = directory.path("fresh")
        _ = try ledger.publishTiles(to: fresh)
        for (path, bytes) in Self.files(fresh) { #expect(Self.files(publication)[path] == bytes, "\(path) differs") }
    }

    @Test("a changed tile, a changed entry, a truncated tile, a foreign key and a forked history are each refused by both verifiers")
    func tamperedPublications() throws {
        let directory = TemporaryDirectory("genledger-tiles-tamper")
        let (ledger, signer) = try LedgerFixtures.make(in: directory, origin: "tiles.example/log")
        var events = LedgerFixtures.events(700)
        for i in events.indices { events[i].id = UUID() }
        _ = try ledger.append(events)
        _ = try ledger.issueCheckpoint(signers: [signer])
        let clean = directory.path("clean")
        _ = try ledger.publishTiles(to: clean)
        let key = signer.verifierKey.description

        func tampered(_ name: String, _ change: (String) throws -> Void) throws -> String {
            let copy = directory.path(name)
            try FileManager.default.copyItem(atPath: clean, toPath: copy)
            try change(copy)
            return copy
        }
        func flip(_ file: String, at offset: Int) throws {
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            bytes[offset] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        }
        let cases: [(String, String)] = [
            ("level-0 tile", try tampered("t1") { try flip("\($0)/tile/0/001", at: 40) }),
            ("entry", try tampered("t2") { try flip("\($0)/tile/entries/002.p/188", at: 2 + 34 * 7) }),
            ("truncated", try tampered("t3") { dir in
                let file = "\(dir)/tile/0/000"
                try Data(Array(try Data(contentsOf: URL(fileURLWithPath: file))).dropLast(32)).write(to: URL(fileURLWithPath: file))
            }),
            ("partial tile", try tampered("t4") { try flip("\($0)/tile/0/002.p/188", at: 0) }),
        ]
        for (name, publication) in cases {
            let cli = try GenLedgerProcess.run(["verify-tiles", publication, "--key", key], in: directory)
            #expect(cli.status == 2, "\(name): genledger verify-tiles exits 2 (\(cli.status)): \(cli.stdout)")
            let (status, output) = try Self.goCheck(publication, key: key)
            #expect(status != 0, "\(name): Go's tlog refuses it too: \(output)")
        }
        // Over HTTP, as a static host serves them (Python's http.server on loopback).
        let port = 20_000 + Int.random(in: 0..<20_000)
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        host.arguments = ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", clean]
        host.standardOutput = FileHandle.nullDevice
        host.standardError = FileHandle.nullDevice
        try host.run()
        // SIGKILL by pid: terminate() left the server running after the suite (seen: one stray
        // http.server per test run).
        defer { kill(host.processIdentifier, SIGKILL) }
        var overHTTP = try GenLedgerProcess.run(["verify-tiles", "http://127.0.0.1:\(port)", "--key", key, "--seq", "650"], in: directory)
        for _ in 0..<50 where overHTTP.status != 0 {
            Thread.sleep(forTimeInterval: 0.1)
            overHTTP = try GenLedgerProcess.run(["verify-tiles", "http://127.0.0.1:\(port)", "--key", key, "--seq", "650"], in: directory)
        }
        #expect(overHTTP.status == 0 && overHTTP.stdout.contains("seq 650 is included"), "\(overHTTP.stderr)")
        let everyTileOverHTTP = try GenLedgerProcess.run(["verify-tiles", "http://127.0.0.1:\(port)/", "--key", key], in: directory)
        #expect(everyTileOverHTTP.status == 0, "\(everyTileOverHTTP.stderr)")

        // Over HTTPS from a host whose certificate a private CA signed: trusted through
        // SSL_CERT_FILE, refused without it.
        let tlsHost = try OriginServer(["static", clean] + OriginServer.certificate("server"))
        let trusted = ["SSL_CERT_FILE": OriginServer.certificates.path("ca.pem")]
        let overHTTPS = try GenLedgerProcess.run(
            ["verify-tiles", "https://localhost:\(tlsHost.port)/", "--key", key, "--seq", "650"], environment: trusted, in: directory)
        #expect(overHTTPS.status == 0 && overHTTPS.stdout.contains("seq 650 is included"), "\(overHTTPS.stderr)")
        let untrusted = try GenLedgerProcess.run(["verify-tiles", "https://localhost:\(tlsHost.port)/", "--key", key], in: directory)
        #expect(untrusted.status != 0 && untrusted.stderr.contains("does not verify for localhost"), "\(untrusted.stderr)")

        // Inclusion of one seq reads only the tiles on its path, and still catches a changed one.
        let onPath = try GenLedgerProcess.run(["verify-tiles", cases[0].1, "--key", key, "--seq", "300"], in: directory)
        #expect(onPath.status == 2)
        // A checkpoint signed by another key.
        let stranger = try NoteSignerKey.generate(name: "tiles.example/log")
        let foreign = try GenLedgerProcess.run(["verify-tiles", clean, "--key", stranger.verifierKey.description], in: directory)
        #expect(foreign.status == 2)
        #expect(try Self.goCheck(clean, key: stranger.verifierKey.description).0 != 0)
        // A history forked before seq 500: its checkpoint is not extended by the publication.
        let (fork, forkSigner) = try LedgerFixtures.make(in: directory, name: "fork.db", origin: "tiles.example/log")
        var forked = Array(events.prefix(500))
        forked[499].payload = ["rewritten": true]
        _ = try fork.append(forked)
        let _ = forkSigner
        try fork.addVerifierKey(signer.verifierKey)
        let forkCheckpoint = try fork.issueCheckpoint(signers: [signer]).note
        let forkFile = directory.path("fork.checkpoint")
        try forkCheckpoint.write(toFile: forkFile, atomically: true, encoding: .utf8)
        let notExtended = try GenLedgerProcess.run(["verify-tiles", clean, "--key", key, "--since", forkFile], in: directory)
        #expect(notExtended.status == 2 && notExtended.stderr.contains("not an extension"), "\(notExtended.stderr)")
        #expect(try Self.goCheck(clean, key: key, older: forkFile).0 != 0)
    }

    static func files(_ root: String) -> [String: Data] {
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return files }
        for case let path as String in walker {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(path)", isDirectory: &isDirectory), !isDirectory.boolValue,
                !path.hasPrefix(".") && !path.contains("/.")
            {
                files[path] = FileManager.default.contents(atPath: "\(root)/\(path)")
            }
        }
        return files
    }
}
