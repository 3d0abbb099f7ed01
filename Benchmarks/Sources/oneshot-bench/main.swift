import BenchSupport
import Foundation
import LedgerLog

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// One-shot command-line calls on ledgers of growing size: `genledger gate check` and
// `genledger append` of one event, each a process of its own (the way a pipeline calls them),
// median wall time and peak resident memory of the process. The ratio to the smallest ledger of
// the same run says whether the cost grows with the ledger. The first calls on a ledger build the
// gate's read model (gate check) and the projections (append) once, an upgrade reported apart.

struct Options {
    var sizes = [3_000, 50_000]
    var runs = 7
    var seed: UInt64 = 42
    var genledger = "../.build/release/genledger"
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-import-bench").path

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next() else { break }
            switch flag {
            case "--deliverables": sizes = value.split(separator: ",").map { Int($0)! }
            case "--runs": runs = Int(value)!
            case "--seed": seed = UInt64(value)!
            case "--genledger": genledger = value
            case "--dir": directory = value
            default: fatalError("unknown flag \(flag)")
            }
        }
    }
}

/// Runs `genledger` with `arguments` and `input` on standard input; wall seconds and its peak
/// resident memory in KiB, as GNU time reports it. (Spawned from this process, the child's
/// `ru_maxrss` would start from this process's own resident size: Linux keeps the high-water
/// mark across exec. GNU time is a small process, so what it reports is genledger's own.)
func measure(_ genledger: String, _ arguments: [String], input: String, ledger: String) throws -> (seconds: Double, kib: Int, status: Int32) {
    let inputPath = NSTemporaryDirectory() + "oneshot-input-\(getpid()).json"
    try input.write(toFile: inputPath, atomically: true, encoding: .utf8)
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    func cStrings(_ texts: [String]) -> [UnsafeMutablePointer<CChar>?] {
        texts.map { (text: String) -> UnsafeMutablePointer<CChar>? in strdup(text) } + [nil]
    }
    let memoryPath = NSTemporaryDirectory() + "oneshot-memory-\(getpid())"
    let argv = cStrings(["/usr/bin/time", "-f", "%M", "-o", memoryPath, genledger] + arguments)
    let environment = cStrings(["GENLEDGER_LEDGER=\(ledger)", "GENLEDGER_ACTOR=bench:oneshot", "PATH=/usr/bin:/bin"])
    defer { (argv + environment).forEach { free($0) } }
    var pid: pid_t = 0
    let started = Bench.now()
    guard FileManager.default.isExecutableFile(atPath: genledger) else {
        fatalError("no \(genledger): build it first (swift build -c release --product genledger)")
    }
    guard posix_spawn(&pid, "/usr/bin/time", &actions, nil, argv, environment) == 0 else {
        fatalError("cannot run /usr/bin/time (Debian's time package; make bench installs it)")
    }
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    let seconds = Bench.now() - started
    let report = (try? String(contentsOfFile: memoryPath, encoding: .utf8)) ?? ""
    let kib = report.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.last ?? -1
    return (seconds, kib, (status >> 8) & 0xff)
}

/// Starts `genledger serve` on `ledger` (any free port) and waits until `/healthz` answers:
/// seconds until then, and the server's peak resident memory at that moment (VmHWM), in KiB.
func serveUntilHealthy(_ genledger: String, ledger: String) throws -> (seconds: Double, kib: Int) {
    let server = Process()
    server.executableURL = URL(fileURLWithPath: genledger)
    server.arguments = ["serve", "--port", "0"]
    server.environment = ["GENLEDGER_LEDGER": ledger, "PATH": "/usr/bin:/bin"]
    let output = Pipe()
    server.standardOutput = output
    server.standardError = FileHandle.nullDevice
    let started = Bench.now()
    try server.run()
    defer {
        server.terminate()
        server.waitUntilExit()
    }
    // "genledger: serving LEDGER on http://127.0.0.1:PORT"
    var text = ""
    while !text.contains("\n") {
        let chunk = output.fileHandleForReading.availableData
        guard !chunk.isEmpty else { fatalError("genledger serve exited: \(text)") }
        text += String(decoding: chunk, as: UTF8.self)
    }
    guard let address = text.split(separator: " ").last(where: { $0.hasPrefix("http://") }) else { fatalError("no address in '\(text)'") }
    let url = URL(string: address.trimmingCharacters(in: .whitespacesAndNewlines) + "/healthz")!
    while true {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var healthy = false
        URLSession.shared.dataTask(with: url) { _, response, _ in
            healthy = (response as? HTTPURLResponse)?.statusCode == 200
            semaphore.signal()
        }.resume()
        semaphore.wait()
        if healthy { break }
        usleep(5_000)
    }
    let seconds = Bench.now() - started
    let status = (try? String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8)) ?? ""
    let kib = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? -1
    return (seconds, kib)
}

let options = Options()
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
print("GenLedger one-shot benchmark: gate check and append of one event, each a process; median of \(options.runs) runs")
print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB")
print("| events | first gate check + first append (one-time upgrade) | gate check | gate check memory | append | append memory | gate check / smallest | append / smallest | serve until /healthz | serve memory |")
print("|---|---|---|---|---|---|---|---|---|---|")
var smallest: (check: Double, append: Double)?
for deliverables in options.sizes {
    let history = options.directory + "/history-\(options.seed)-\(deliverables).db"
    let source = try Bench.simulatedHistory(at: history, seed: options.seed, deliverables: deliverables)
    let size = try source.size()
    // The last delivered deliverable: a regeneration of it is judged by every gate rule it touches.
    var delivered: (deliverable: String, asset: String)?
    try source.forEachEvent(after: size > 400 ? size - 400 : 0) { event in
        if event.type == "deliverable.delivered", let payload = try? JSONParser.parse(event.payloadBytes),
            let deliverable = payload["deliverable"]?.stringValue, let asset = payload["asset"]?.stringValue
        {
            delivered = (deliverable, asset)
        }
        return true
    }
    guard let delivered else { fatalError("no delivery in the last 400 events of \(history)") }
    let scratch = options.directory + "/oneshot-\(deliverables).db"
    Bench.removeLedger(scratch)
    for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: history + suffix) {
        try FileManager.default.copyItem(atPath: history + suffix, toPath: scratch + suffix)
    }
    let check = #"{"type":"regeneration.requested","stream":"deliverable/\#(delivered.deliverable)","payload":{"deliverable":"\#(delivered.deliverable)","prior_asset":"\#(delivered.asset)","reason":"another take"}}"#
    let first = try measure(options.genledger, ["gate", "check"], input: check, ledger: scratch)
    let warm = #"{"type":"cost.recorded","stream":"deliverable/\#(delivered.deliverable)","payload":{"deliverable":"\#(delivered.deliverable)","kind":"review-time","amount":0.5,"currency":"USD","asset":"\#(delivered.asset)"}}"#
    let firstAppend = try measure(options.genledger, ["append"], input: warm, ledger: scratch)
    var checks: [(Double, Int)] = []
    var appends: [(Double, Int)] = []
    for run in 0..<options.runs {
        let judged = try measure(options.genledger, ["gate", "check"], input: check, ledger: scratch)
        precondition(judged.status == 0 || judged.status == 4, "gate check exited \(judged.status)")
        checks.append((judged.seconds, judged.kib))
        let cost = #"{"type":"cost.recorded","stream":"deliverable/\#(delivered.deliverable)","payload":{"deliverable":"\#(delivered.deliverable)","kind":"review-time","amount":\#(run + 1).25,"currency":"USD","asset":"\#(delivered.asset)"}}"#
        let appended = try measure(options.genledger, ["append"], input: cost, ledger: scratch)
        precondition(appended.status == 0, "append exited \(appended.status)")
        appends.append((appended.seconds, appended.kib))
    }
    let serves = try (0..<3).map { _ in try serveUntilHealthy(options.genledger, ledger: scratch) }
    let serveSeconds = Bench.median(serves.map(\.seconds))
    let checkSeconds = Bench.median(checks.map(\.0))
    let appendSeconds = Bench.median(appends.map(\.0))
    let baseline = smallest ?? (checkSeconds, appendSeconds)
    smallest = baseline
    print(
        "| \(size) | \(String(format: "%.2f s + %.2f s", first.seconds, firstAppend.seconds)) | \(String(format: "%.0f ms", checkSeconds * 1000)) | \(checks.map(\.1).max()! / 1024) MiB | \(String(format: "%.0f ms", appendSeconds * 1000)) | \(appends.map(\.1).max()! / 1024) MiB | \(String(format: "%.2f", checkSeconds / baseline.check)) | \(String(format: "%.2f", appendSeconds / baseline.append)) | \(String(format: "%.0f ms", serveSeconds * 1000)) | \(serves.map(\.kib).max()! / 1024) MiB |"
    )
    Bench.removeLedger(scratch)
}
print("goals (issue 20): ≤ 50 ms and ≤ 64 MiB per call at 1 M and 10 M events, within 2× of the smallest ledger; serve answers /healthz within 1 s at 10 M")
