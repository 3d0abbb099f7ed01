import BenchSQLite
import BenchSupport
import Foundation
import LedgerLog

// Medians over several runs, each GenLedger figure printed as a ratio of a limit measured in the
// same run on the same data: raw SQLite inserts with no hashing, and bare SHA-256.

struct Options {
    var events = 1_000_000
    var batch = 10_000
    var runs = 3
    var singles = 2_000
    var proofs = 2_000
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-bench").path

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next() else { break }
            switch flag {
            case "--events": events = Int(value)!
            case "--batch": batch = Int(value)!
            case "--runs": runs = Int(value)!
            case "--singles": singles = Int(value)!
            case "--dir": directory = value
            case "--verify-only": directory = value  // child mode, see peakVerifyMemory
            default: fatalError("unknown flag \(flag)")
            }
        }
    }
}

/// About 400 bytes of canonical envelope per event, like a generation request.
func event(_ i: Int) -> ProposedEvent {
    ProposedEvent(
        id: nil, type: "generation.requested", stream: "deliverable/D-\(i % 5000)",
        payload: [
            "deliverable": .string("D-\(i % 5000)"), "attempt": .number(Double(i % 7 + 1)), "model": "veo-3",
            "template": ["id": "hero-open", "version": 4], "seed": .number(Double(421_337 + i)),
            "controls": ["aspect_ratio": "16:9", "cfg": 6.5, "motion": "slow-dolly", "steps": 40],
        ],
        occurredAt: Timestamp(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(i) * 1000), actor: "pipeline:render-01")
}

// MARK: Raw SQLite baseline

final class RawSQLite {
    var db: OpaquePointer?
    var insert: OpaquePointer?

    init(path: String) {
        try? FileManager.default.removeItem(atPath: path)
        sqlite3_open(path, &db)
        exec("PRAGMA journal_mode=WAL")
        exec("PRAGMA synchronous=FULL")
        // The same table and indexes as the ledger's events table, no triggers, no hashing.
        exec(
            """
            CREATE TABLE events(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, stream TEXT NOT NULL,
              stream_version INTEGER NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, actor TEXT NOT NULL,
              payload BLOB, payload_digest BLOB NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL,
              UNIQUE(stream, stream_version)) STRICT
            """)
        sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &insert, nil)
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_close(db)
    }

    func exec(_ sql: String) {
        precondition(sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK, String(cString: sqlite3_errmsg(db)))
    }

    func insert(_ e: RecordedEvent) {
        sqlite3_reset(insert)
        sqlite3_bind_int64(insert, 1, Int64(e.seq))
        for (index, text) in [(2, e.id), (3, e.type), (4, e.stream), (6, e.occurredAt), (7, e.recordedAt), (8, e.actor)] {
            var copy = text
            copy.withUTF8 { b in
                b.withMemoryRebound(to: CChar.self) { _ = bench_bind_text(insert, Int32(index), $0.baseAddress, Int32($0.count)) }
            }
        }
        sqlite3_bind_int64(insert, 5, Int64(e.streamVersion))
        e.payloadBytes.withUnsafeBytes { _ = bench_bind_blob(insert, 9, $0.baseAddress, Int32($0.count)) }
        for (index, digest) in [(10, e.payloadDigest), (11, e.previousHash), (12, e.hash)] {
            digest.withUnsafeBytes { _ = bench_bind_blob(insert, Int32(index), $0.baseAddress, 32) }
        }
        precondition(sqlite3_step(insert) == SQLITE_DONE, String(cString: sqlite3_errmsg(db)))
    }
}

// MARK: Runs

let options = Options()
if CommandLine.arguments.contains("--verify-only") {
    // Child mode: verify one ledger and report this process's peak resident memory.
    let start = Bench.now()
    let report = try Ledger(opening: options.directory).verify()
    precondition(report.isValid)
    print("\(Bench.now() - start) \(Bench.peakMemoryKiB())")
    exit(0)
}

try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
let ledgerPath = options.directory + "/bench.db"
let rawPath = options.directory + "/raw.db"

print("GenLedger benchmarks: \(options.events) events, batches of \(options.batch), median of \(options.runs) runs")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")
let proposed = (0..<options.events).map(event)

var appendRates: [Double] = []
var rawRates: [Double] = []
var shaRates: [Double] = []
var verifyRates: [Double] = []
var verifyBytesRates: [Double] = []
var scanRates: [Double] = []
var bytesPerEvent = 0.0
for run in 1...options.runs {
    Bench.removeLedger(ledgerPath)
    let ledger = try Ledger.create(at: ledgerPath, origin: "bench.example/log")
    var start = Bench.now()
    for chunk in stride(from: 0, to: proposed.count, by: options.batch) {
        try ledger.append(Array(proposed[chunk..<min(chunk + options.batch, proposed.count)]))
    }
    appendRates.append(Double(options.events) / (Bench.now() - start))

    // The same rows, as stored, into a bare table: the limit for batched append.
    var rows: [RecordedEvent] = []
    rows.reserveCapacity(options.events)
    var hashedBytes = 0
    try ledger.forEachEvent {
        rows.append($0); return true
    }
    Bench.removeLedger(rawPath)
    let raw = RawSQLite(path: rawPath)
    start = Bench.now()
    for chunk in stride(from: 0, to: rows.count, by: options.batch) {
        raw.exec("BEGIN")
        for row in rows[chunk..<min(chunk + options.batch, rows.count)] { raw.insert(row) }
        raw.exec("COMMIT")
    }
    rawRates.append(Double(rows.count) / (Bench.now() - start))

    // SHA-256 over the bytes verification must hash: payload and hashed envelope per event.
    let envelopes = rows.map(EnvelopeEncoding.hashedBytes(of:))
    let sha = SHA256()
    start = Bench.now()
    var sink = SHA256Digest.zero
    for (row, envelope) in zip(rows, envelopes) {
        sink = sha.hash(row.payloadBytes)
        sink = sha.hash(envelope)
        hashedBytes += row.payloadBytes.count + envelope.count
    }
    precondition(sink != .zero)
    shaRates.append(Double(rows.count) / (Bench.now() - start))
    bytesPerEvent = Double(hashedBytes) / Double(rows.count)
    rows = []

    // Reading every row into an event, with no hashing: how much of verify is the read itself.
    start = Bench.now()
    var scanned = 0
    try Ledger(opening: ledgerPath).forEachEvent { _ in
        scanned += 1; return true
    }
    scanRates.append(Double(scanned) / (Bench.now() - start))

    start = Bench.now()
    let report = try Ledger(opening: ledgerPath).verify()
    precondition(report.isValid && report.eventCount == UInt64(options.events))
    let seconds = Bench.now() - start
    verifyRates.append(Double(options.events) / seconds)
    let fileBytes =
        (try FileManager.default.attributesOfItem(atPath: ledgerPath)[.size] as? Int ?? 0)
        + (try FileManager.default.attributesOfItem(atPath: ledgerPath + "-wal")[.size] as? Int ?? 0)
    verifyBytesRates.append(Double(fileBytes) / seconds / 1e6)
    print(
        "  run \(run): append \(Int(appendRates.last!)) ev/s, raw insert \(Int(rawRates.last!)) rows/s, verify \(Int(verifyRates.last!)) ev/s"
    )
}

// Durable single-event appends: one transaction, one fsync per event.
var singleRates: [Double] = []
var rawSingleRates: [Double] = []
for _ in 1...options.runs {
    let path = options.directory + "/single.db"
    Bench.removeLedger(path)
    let ledger = try Ledger.create(at: path, origin: "bench.example/single")
    var start = Bench.now()
    for i in 0..<options.singles { try ledger.append(proposed[i]) }
    singleRates.append(Double(options.singles) / (Bench.now() - start))
    var rows: [RecordedEvent] = []
    try ledger.forEachEvent {
        rows.append($0); return true
    }
    Bench.removeLedger(rawPath)
    let raw = RawSQLite(path: rawPath)
    start = Bench.now()
    for row in rows { raw.insert(row) }  // autocommit: one durable commit per row
    rawSingleRates.append(Double(rows.count) / (Bench.now() - start))
}

// Proofs at full size, from a connection that has not cached anything.
let proofLedger = try Ledger(opening: ledgerPath)
let size = try proofLedger.size()
var generator = SystemRandomNumberGenerator()
var inclusionTimes: [Double] = []
var consistencyTimes: [Double] = []
for _ in 0..<options.proofs {
    let seq = UInt64.random(in: 1...size, using: &generator)
    var start = Bench.now()
    let inclusion = try proofLedger.inclusionProof(seq: seq)
    inclusionTimes.append(Bench.now() - start)
    try inclusion.verify()
    let old = UInt64.random(in: 1...size, using: &generator)
    start = Bench.now()
    let consistency = try proofLedger.consistencyProof(oldSize: old, newSize: size)
    consistencyTimes.append(Bench.now() - start)
    try consistency.verify()
}

// Verify's peak memory, in a process of its own so the append's memory does not count.
let verifyPeakMiB = Double(try Bench.runSelf(["--verify-only", ledgerPath]).last.flatMap { Int($0) } ?? 0) / 1024

func row(_ name: String, _ value: String, _ limit: String, _ ratio: Double?, _ goal: String) {
    let ratioText = ratio.map { String(format: "%.2f", $0) } ?? "—"
    print("| \(name) | \(value) | \(limit) | \(ratioText) | \(goal) |")
}
func format(_ rate: Double) -> String { String(format: "%.0f", rate) }

print("")
print("| measure | GenLedger | limit (same run) | ratio | goal |")
print("|---|---|---|---|---|")
let append = Bench.median(appendRates), rawInsert = Bench.median(rawRates)
row("batched append (events/s)", format(append), "raw insert \(format(rawInsert)) rows/s", append / rawInsert, "≥ 0.50")
let single = Bench.median(singleRates), rawSingle = Bench.median(rawSingleRates)
row(
    "durable single append (events/s)", format(single), "raw single commit \(format(rawSingle)) rows/s", single / rawSingle,
    "≥ 0.70")
let verify = Bench.median(verifyRates), shaLimit = Bench.median(shaRates)
row(
    "full verify (events/s)", format(verify),
    "SHA-256 \(format(shaLimit)) events/s (\(String(format: "%.0f", bytesPerEvent)) B each)", verify / shaLimit, "≥ 0.50")
row("read every event, no hashing (events/s)", format(Bench.median(scanRates)), "", nil, "")
row("full verify (MB/s of ledger file)", String(format: "%.1f", Bench.median(verifyBytesRates)), "", nil, "")
row("verify peak memory (MiB, own process)", String(format: "%.1f", verifyPeakMiB), "", nil, "< 64")
row(
    "inclusion proof at \(size) (ms, median / p99)",
    String(
        format: "%.3f / %.3f", Bench.median(inclusionTimes) * 1000,
        inclusionTimes.sorted()[inclusionTimes.count * 99 / 100] * 1000),
    "", nil, "≤ 1")
row(
    "consistency proof at \(size) (ms, median / p99)",
    String(
        format: "%.3f / %.3f", Bench.median(consistencyTimes) * 1000,
        consistencyTimes.sorted()[consistencyTimes.count * 99 / 100] * 1000), "", nil, "≤ 1")
