public import Foundation
public import Governance
public import LedgerLog
import Simulation

/// What every benchmark runner shares: a clock, medians, peak memory, scratch ledgers and the
/// simulated history they measure on.
public enum Bench {
    /// Monotonic seconds.
    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// This process's peak resident memory (VmHWM), in KiB.
    public static func peakMemoryKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    public static func removeLedger(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// The repository's shipped policies/ folder.
    public static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("policies").path

    /// A simulated history (seed, deliverables, six months) at `path`, written once and reused by
    /// later runs. It is scratch data, rebuilt if lost, so it is written with NORMAL durability;
    /// every timed ledger uses FULL. With `checkpoint`, a signed checkpoint covers it.
    public static func simulatedHistory(at path: String, seed: UInt64, deliverables: Int, checkpoint: Bool = false) throws
        -> Ledger
    {
        if !FileManager.default.fileExists(atPath: path) {
            let partial = path + ".partial"
            removeLedger(partial)
            let started = now()
            let ledger = try Ledger.create(at: partial, origin: "bench.example/history", durability: .normal)
            let simulator = Simulator(
                ledger: GovernedLedger(ledger), policies: try PolicyFolder(directory: policies),
                options: SimulationOptions(seed: seed, deliverables: deliverables, months: 6))
            let summary = try simulator.run()
            if checkpoint {
                let signer = try NoteSignerKey.generate(name: "bench.example/history")
                try ledger.addVerifierKey(signer.verifierKey)
                _ = try ledger.issueCheckpoint(signers: [signer])
            }
            print(
                "history: \(summary.lastSeq) events for \(deliverables) deliverables, simulated in \(String(format: "%.0f", now() - started)) s"
            )
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.moveItem(atPath: partial + suffix, toPath: path + suffix)
            }
        }
        return try Ledger(opening: path)
    }
}

extension Bench {
    /// Runs this executable again with `arguments` (a child mode that measures one thing in a
    /// process of its own, so its peak memory is its own) and returns its output's fields.
    public static func runSelf(_ arguments: [String]) throws -> [String] {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = arguments
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        child.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
