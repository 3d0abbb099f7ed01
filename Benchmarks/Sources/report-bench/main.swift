import BenchSupport
import Foundation
import Governance
import LedgerLog
import Projections
import Reports

// On a simulated history of about 1 M events: a full rebuild of every projection (events/s, and
// peak memory in a process of its own), the cost per appended event of keeping projections up to
// date (governed append with and without catch-up after each batch, same run), and the time to
// produce each report from the projections.

var deliverables = 50_000
var runs = 3
var upkeepEvents = 200_000
var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-report-bench").path
var arguments = CommandLine.arguments.dropFirst().makeIterator()
var childRebuild: String?
while let flag = arguments.next() {
    guard let value = arguments.next() else { break }
    switch flag {
    case "--deliverables": deliverables = Int(value)!
    case "--runs": runs = Int(value)!
    case "--upkeep-events": upkeepEvents = Int(value)!
    case "--dir": directory = value
    case "--rebuild-only": childRebuild = value
    default: fatalError("unknown flag \(flag)")
    }
}

if let childRebuild {
    // Child mode: one rebuild, then this process's time and peak resident memory.
    let start = Bench.now()
    let count = try Projections(try Ledger(opening: childRebuild)).rebuild()
    print("\(count) \(Bench.now() - start) \(Bench.peakMemoryKiB())")
    exit(0)
}

try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let historyPath = directory + "/history-\(deliverables).db"
let history = try Bench.simulatedHistory(at: historyPath, seed: 42, deliverables: deliverables, checkpoint: true)

let total = try history.size()
print("GenLedger report benchmark: \(total) events (\(deliverables) simulated deliverables), median of \(runs) runs")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")

// 1. Full rebuild, each in its own process for an honest peak memory.
var rebuildRates: [Double] = []
var rebuildPeaks: [Double] = []
for run in 1...runs {
    let fields = try Bench.runSelf(["--rebuild-only", historyPath])
    let count = Double(fields[0])!, seconds = Double(fields[1])!, peak = Double(fields[2])! / 1024
    rebuildRates.append(count / seconds)
    rebuildPeaks.append(peak)
    print("  rebuild run \(run): \(Int(count / seconds)) events/s, peak \(String(format: "%.1f", peak)) MiB")
}

// 2. Upkeep: the first `upkeepEvents` events appended through the gate in batches of 1 000, with
// and without a projection catch-up after every batch.
var upkeepCosts: [Double] = []
var plainRates: [Double] = []
let upkeepCount = UInt64(min(upkeepEvents, Int(total)))
for run in 1...runs {
    var seconds: [Bool: Double] = [:]
    for keep in [false, true] {
        let path = directory + "/upkeep.db"
        Bench.removeLedger(path)
        let governed = GovernedLedger(try Ledger.create(at: path, origin: "bench.example/upkeep"))
        let projections = Projections(governed.ledger)
        var position: UInt64 = 0
        var elapsed = 0.0
        while position < upkeepCount {
            var batch: [ProposedEvent] = []
            try history.forEachEvent(after: position, through: min(position + 1000, upkeepCount)) { event in
                var payload = event.payload
                if case .object(var members) = payload { members[DomainEvent.gateKey] = nil; payload = .object(members) }
                batch.append(
                    ProposedEvent(
                        id: UUID(uuidString: event.id), type: event.type, stream: event.stream, payload: payload,
                        occurredAt: try Timestamp(rfc3339: event.occurredAt), actor: event.actor))
                return true
            }
            let start = Bench.now()
            try governed.append(batch)
            if keep { try projections.catchUp() }
            elapsed += Bench.now() - start
            position += UInt64(batch.count)
        }
        seconds[keep] = elapsed
    }
    let perEvent = (seconds[true]! - seconds[false]!) / Double(upkeepCount) * 1e6
    upkeepCosts.append(perEvent)
    plainRates.append(Double(upkeepCount) / seconds[false]!)
    print(
        "  upkeep run \(run): +\(String(format: "%.2f", perEvent)) µs per event over a governed append at \(Int(plainRates.last!)) events/s"
    )
}

// 3. Each report, from caught-up projections, at full size.
let projections = Projections(history)
try projections.catchUp()
let asset = try history.withSideTables(write: false) { tables in
    try tables.rows(
        "SELECT d.asset FROM proj_deliveries d JOIN proj_assets a ON a.asset = d.asset WHERE a.source_asset IS NOT NULL ORDER BY d.seq DESC LIMIT 1"
    ).first![0].string!
}
let reports: [(String, () throws -> ReportDocument)] = [
    ("routing current", { try RoutingReports.current(projections, asOf: total) }),
    ("routing history", { try RoutingReports.history(projections, asOf: total) }),
    ("routing diff video v1 v2", { try RoutingReports.diff(projections, table: "video", from: 1, to: 2, asOf: total) }),
    ("report quarterly 2026-Q3", { try QuarterlyReport.build(projections, quarter: Quarter("2026-Q3")!, asOf: total) }),
    ("report costs 2026-09", { try CostsReport.build(projections, month: "2026-09", asOf: total) }),
    (
        "report compliance 2026-04-01..2026-09-30",
        {
            try ComplianceReport.build(
                projections, from: CalendarDate("2026-04-01")!, to: CalendarDate("2026-09-30")!, campaign: nil, asOf: total)
        }
    ),
    ("explain \(asset)", { try ExplainReport.build(projections, asset: asset, asOf: total) }),
]
var reportTimes: [(String, Double)] = []
for (name, build) in reports {
    var times: [Double] = []
    for _ in 1...runs {
        let start = Bench.now()
        _ = try build().rendered(as: .html)
        times.append(Bench.now() - start)
    }
    reportTimes.append((name, Bench.median(times)))
}

print("")
print("| measure | value | goal | met |")
print("|---|---|---|---|")
let rate = Bench.median(rebuildRates), peak = Bench.median(rebuildPeaks)
print("| full rebuild of every projection (events/s) | \(Int(rate)) | ≥ 200 000 | \(rate >= 200_000 ? "yes" : "**no**") |")
print("| rebuild peak memory, own process (MiB) | \(String(format: "%.1f", peak)) | flat in events | see notes |")
print(
    "| projection upkeep per appended event (µs; batches of 1 000) | \(String(format: "%.2f", Bench.median(upkeepCosts))) | | |")
for (name, seconds) in reportTimes {
    print("| \(name), html (s) | \(String(format: "%.3f", seconds)) | < 1 | \(seconds < 1 ? "yes" : "**no**") |")
}
