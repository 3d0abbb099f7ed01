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
    var moveHead: OpaquePointer?
    /// Each stream's last version and seq, as the ledger's stream_heads table holds them.
    var heads: [String: (version: UInt64, seq: UInt64)] = [:]
    var moved: Set<String> = []

    init(path: String) {
        try? FileManager.default.removeItem(atPath: path)
        sqlite3_open(path, &db)
        exec("PRAGMA journal_mode=WAL")
        exec("PRAGMA synchronous=FULL")
        // The ledger's page cache, so that the limit is the same SQLite, configured alike.
        exec("PRAGMA cache_size=-\(Ledger.pageCacheKiB)")
        // The same tables and indexes as the ledger's events and stream_heads (schema 5), no
        // triggers, no hashing; a batch moves each stream's head once, as the ledger does.
        exec(
            """
            CREATE TABLE events(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, stream TEXT NOT NULL,
              stream_version INTEGER NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, actor TEXT NOT NULL,
              payload BLOB, payload_digest BLOB NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL,
              stream_prev INTEGER) STRICT;
            CREATE TABLE stream_heads(stream TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL) STRICT, WITHOUT ROWID
            """)
        sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &insert, nil)
        sqlite3_prepare_v2(
            db,
            "INSERT INTO stream_heads VALUES (?,?,?) ON CONFLICT(stream) DO UPDATE SET version = excluded.version, seq = excluded.seq",
            -1, &moveHead, nil)
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_finalize(moveHead)
        sqlite3_close(db)
    }

    /// Writes the heads the batch moved; call before COMMIT.
    func moveHeads() {
        for stream in moved {
            let head = heads[stream]!
            sqlite3_reset(moveHead)
            var copy = stream
            copy.withUTF8 { b in b.withMemoryRebound(to: CChar.self) { _ = bench_bind_text(moveHead, 1, $0.baseAddress, Int32($0.count)) } }
            sqlite3_bind_int64(moveHead, 2, Int64(head.version))
            sqlite3_bind_int64(moveHead, 3, Int64(head.seq))
            precondition(sqlite3_step(moveHead) == SQLITE_DONE, String(cString: sqlite3_errmsg(db)))
        }
        moved.removeAll(keepingCapacity: true)
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
        if let previous = heads[e.stream] { sqlite3_bind_int64(insert, 13, Int64(previous.seq)) } else { sqlite3_bind_null(insert, 13) }
        heads[e.stream] = (e.streamVersion, e.seq)
        moved.insert(e.stream)
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

/// Events are made batch by batch and read back batch by batch, untimed: nothing holds the whole
/// history, so the bench runs at 10 M events in the memory of one batch.
func batches(_ body: (Range<Int>) throws -> Void) rethrows {
    for chunk in stride(from: 0, to: options.events, by: options.batch) { try body(chunk..<min(chunk + options.batch, options.events)) }
}

/// Rates over the last `window` events before each size (100 k, 1 M, 10 M, and the end): whether
/// appending slows as the ledger grows.
struct Windows {
    static let window = 100_000
    let sizes: [Int]
    var seconds: [Int: Double] = [:]

    init(events: Int) { sizes = ([100_000, 1_000_000, 10_000_000].filter { $0 < events } + [events]) }

    mutating func add(_ range: Range<Int>, _ elapsed: Double) {
        for size in sizes where range.upperBound <= size && range.upperBound > size - Self.window {
            seconds[size, default: 0] += elapsed
        }
    }

    func rate(at size: Int) -> Double { Double(min(Self.window, size)) / (seconds[size] ?? .infinity) }
}

/// The bare limit the issue names: rows of the same size, a rowid and one blob, no index, no
/// hashing, all in one transaction.
final class BareSQLite {
    let raw: RawSQLite
    var insert: OpaquePointer?

    init(path: String) {
        raw = RawSQLite(path: path)
        raw.exec("CREATE TABLE bare(seq INTEGER PRIMARY KEY, row BLOB NOT NULL)")
        sqlite3_prepare_v2(raw.db, "INSERT INTO bare VALUES (?, ?)", -1, &insert, nil)
        raw.exec("BEGIN")
    }

    deinit { sqlite3_finalize(insert) }

    func insert(seq: UInt64, bytes: [UInt8]) {
        sqlite3_reset(insert)
        sqlite3_bind_int64(insert, 1, Int64(seq))
        bytes.withUnsafeBytes { _ = bench_bind_blob(insert, 2, $0.baseAddress, Int32($0.count)) }
        precondition(sqlite3_step(insert) == SQLITE_DONE, String(cString: sqlite3_errmsg(raw.db)))
    }

    func commit() { raw.exec("COMMIT") }
}

/// A stored row's bytes, column after column: what the bare limit inserts per event.
func rowBytes(_ e: RecordedEvent) -> [UInt8] {
    var bytes: [UInt8] = []
    for text in [e.id, e.type, e.stream, e.occurredAt, e.recordedAt, e.actor] { bytes += Array(text.utf8) }
    bytes += e.payloadBytes
    for digest in [e.payloadDigest, e.previousHash, e.hash] { digest.withUnsafeBytes { bytes += $0 } }
    return bytes + [UInt8](repeating: 0, count: 16)  // seq and stream_version
}

var appendRates: [Double] = []
var rawRates: [Double] = []
var bareRates: [Double] = []
var appendWindows: [Windows] = []
var rawWindows: [Windows] = []
var shaRates: [Double] = []
var verifyRates: [Double] = []
var verifyBytesRates: [Double] = []
var scanRates: [Double] = []
var bytesPerEvent = 0.0
var rowBytesPerEvent = 0.0
let barePath = options.directory + "/bare.db"
for run in 1...options.runs {
    Bench.removeLedger(ledgerPath)
    let ledger = try Ledger.create(at: ledgerPath, origin: "bench.example/log")
    var windows = Windows(events: options.events)
    var appendSeconds = 0.0
    try batches { range in
        let proposed = range.map(event)
        let start = Bench.now()
        try ledger.append(proposed)
        let elapsed = Bench.now() - start
        appendSeconds += elapsed
        windows.add(range, elapsed)
    }
    appendRates.append(Double(options.events) / appendSeconds)
    appendWindows.append(windows)

    // The same rows, as stored, into a bare table with the same indexes (the limit for batched
    // append), into a rowid-and-blob table (the issue's bare limit), and through SHA-256.
    Bench.removeLedger(rawPath)
    Bench.removeLedger(barePath)
    let raw = RawSQLite(path: rawPath)
    let bare = BareSQLite(path: barePath)
    let sha = SHA256()
    var rawWindow = Windows(events: options.events)
    var rawSeconds = 0.0, bareSeconds = 0.0, shaSeconds = 0.0
    var hashedBytes = 0, storedBytes = 0
    var sink = SHA256Digest.zero
    let reader = try Ledger(opening: ledgerPath)
    try batches { range in
        let rows = try reader.events(after: UInt64(range.lowerBound), limit: range.count)
        precondition(rows.count == range.count)
        var start = Bench.now()
        raw.exec("BEGIN")
        for row in rows { raw.insert(row) }
        raw.moveHeads()
        raw.exec("COMMIT")
        let elapsed = Bench.now() - start
        rawSeconds += elapsed
        rawWindow.add(range, elapsed)

        let blobs = rows.map(rowBytes)
        start = Bench.now()
        for (row, blob) in zip(rows, blobs) { bare.insert(seq: row.seq, bytes: blob) }
        bareSeconds += Bench.now() - start
        storedBytes += blobs.reduce(0) { $0 + $1.count }

        // SHA-256 over the bytes verification must hash: payload and hashed envelope per event.
        let envelopes = rows.map(EnvelopeEncoding.hashedBytes(of:))
        start = Bench.now()
        for (row, envelope) in zip(rows, envelopes) {
            sink = sha.hash(row.payloadBytes)
            sink = sha.hash(envelope)
            hashedBytes += row.payloadBytes.count + envelope.count
        }
        shaSeconds += Bench.now() - start
    }
    var start = Bench.now()
    bare.commit()
    bareSeconds += Bench.now() - start
    precondition(sink != .zero)
    rawRates.append(Double(options.events) / rawSeconds)
    rawWindows.append(rawWindow)
    bareRates.append(Double(options.events) / bareSeconds)
    shaRates.append(Double(options.events) / shaSeconds)
    bytesPerEvent = Double(hashedBytes) / Double(options.events)
    rowBytesPerEvent = Double(storedBytes) / Double(options.events)
    Bench.removeLedger(barePath)

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
    let marginal = windows.sizes.map { "\($0): \(Int(windows.rate(at: $0)))" }.joined(separator: ", ")
    print(
        "  run \(run): append \(Int(appendRates.last!)) ev/s (last 100 k before \(marginal)), raw insert \(Int(rawRates.last!)) rows/s, bare \(Int(bareRates.last!)) rows/s, verify \(Int(verifyRates.last!)) ev/s"
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
    for i in 0..<options.singles { try ledger.append(event(i)) }
    singleRates.append(Double(options.singles) / (Bench.now() - start))
    let rows = try ledger.events()
    Bench.removeLedger(rawPath)
    let raw = RawSQLite(path: rawPath)
    start = Bench.now()
    for row in rows {  // one durable commit per row, moving its stream's head as the ledger does
        raw.exec("BEGIN")
        raw.insert(row)
        raw.moveHeads()
        raw.exec("COMMIT")
    }
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
let append = Bench.median(appendRates), rawInsert = Bench.median(rawRates), bareInsert = Bench.median(bareRates)
row("batched append (events/s)", format(append), "raw insert \(format(rawInsert)) rows/s", append / rawInsert, "≥ 0.50")
row(
    "batched append (events/s)", format(append),
    "bare insert, one transaction, \(String(format: "%.0f", rowBytesPerEvent)) B rows: \(format(bareInsert)) rows/s", append / bareInsert,
    "≥ 0.25")
let sizes = appendWindows[0].sizes
for size in sizes {
    let rate = Bench.median(appendWindows.map { $0.rate(at: size) })
    let rawRate = Bench.median(rawWindows.map { $0.rate(at: size) })
    let first = Bench.median(appendWindows.map { $0.rate(at: sizes[0]) })
    row(
        "append, last 100 k events before \(size) (events/s)", format(rate), "raw insert \(format(rawRate)) rows/s; first window \(format(first))",
        rate / first, size == sizes[0] ? "" : "≥ 0.90 of the first")
}
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
