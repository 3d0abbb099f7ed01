import BenchSupport
import Foundation
import Governance
import LedgerLog
import Projections

// Replay over a simulated history of about 1 M events: every recorded routing request decided
// again under a candidate table, with the estimate's rates tallied as of each request. Each run
// is a process of its own (peak memory is its own). The baseline, measured in the same run, is a
// plain scan of the same requests' rows: the floor of any replay that reads them.

var deliverables = 50_000
var runs = 3
var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-report-bench").path
var child: [String]?
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    switch flag {
    case "--deliverables": deliverables = Int(arguments.removeFirst())!
    case "--runs": runs = Int(arguments.removeFirst())!
    case "--dir": directory = arguments.removeFirst()
    case "--replay-only", "--scan-only":
        child = [flag] + arguments
        arguments = []
    default: fatalError("unknown flag \(flag)")
    }
}

/// The published version `version` of table `name`, as a candidate.
func published(_ projections: Projections, _ name: String, _ version: Int64) throws -> CandidateTable {
    let row = try projections.ledger.withSideTables(write: false) {
        try $0.rows(
            "SELECT seq, document, digest FROM proj_routing_tables WHERE table_name = ? AND version = ?",
            [.text(name), .integer(version)])
    }[0]
    return try CandidateTable(
        published: try JSONParser.parse(Array(row[1].string!.utf8)), digest: row[2].string!, seq: UInt64(row[0].int!))
}

if let child {
    let projections = Projections(try Ledger(opening: child[1]))
    let start = Bench.now()
    if child[0] == "--scan-only" {
        var count = 0
        try projections.ledger.withSideTables(write: false) { tables in
            let cursor = try tables.cursor(
                "SELECT seq, model, tier, category, stage, modality, duration_seconds, characters FROM proj_routing_decisions")
            while try cursor.next() {
                if cursor.text(1) != nil && cursor.text(3) != nil { count += 1 }
            }
        }
        print("\(count) 0 \(Bench.now() - start) \(Bench.peakMemoryKiB())")
    } else {
        let candidate = try published(projections, child[2], Int64(child[3])!)
        let replay = try projections.replay(candidate, asOf: try projections.ledger.size())
        print("\(replay.requests) \(replay.changed) \(Bench.now() - start) \(Bench.peakMemoryKiB())")
    }
    exit(0)
}

try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let historyPath = directory + "/history-\(deliverables).db"
let history = try Bench.simulatedHistory(at: historyPath, seed: 42, deliverables: deliverables, checkpoint: true)
try Projections(history).catchUp()
let total = try history.size()
print("GenLedger replay benchmark: \(total) events (\(deliverables) simulated deliverables), median of \(runs) runs")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")

var rates: [String: [Double]] = [:]
var peaks: [String: [Double]] = [:]
var changed: [String: Int] = [:]
let modes: [(String, [String])] = [
    ("scan of the requests (baseline)", ["--scan-only", historyPath]),
    ("replay under video v1 (published)", ["--replay-only", historyPath, "video", "1"]),
    ("replay under video v2 (in force)", ["--replay-only", historyPath, "video", "2"]),
]
for run in 1...runs {
    for (name, arguments) in modes {
        let fields = try Bench.runSelf(arguments)
        let requests = Double(fields[0])!, seconds = Double(fields[2])!, peak = Double(fields[3])! / 1024
        rates[name, default: []].append(requests / seconds)
        peaks[name, default: []].append(peak)
        changed[name] = Int(fields[1])!
        print(
            "  run \(run), \(name): \(Int(requests)) requests in \(String(format: "%.3f", seconds)) s, \(Int(requests / seconds)) requests/s, peak \(String(format: "%.1f", peak)) MiB"
        )
    }
}
let baseline = Bench.median(rates[modes[0].0]!)
print("")
print("| measure | requests/s | vs scan | peak MiB | requests changed |")
print("|---|---|---|---|---|")
for (name, _) in modes {
    let rate = Bench.median(rates[name]!)
    print(
        "| \(name) | \(Int(rate)) | \(String(format: "%.2f", rate / baseline)) | \(String(format: "%.1f", Bench.median(peaks[name]!))) | \(name.hasPrefix("scan") ? "" : String(changed[name]!)) |"
    )
}
