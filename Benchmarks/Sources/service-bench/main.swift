import BenchSupport
import Foundation

// Durable appends over HTTP under concurrency. For each mode (group commit on, and one
// transaction per request: the baseline of the same run) a fresh ledger is served by the
// release `genledger serve` on a loopback port and loaded by wrk (Debian's) with 1, 8 and 32
// connections, each POSTing one event per request. Appends/s are counted from the ledger
// (tree size before and after: durable, acknowledged events), latencies are wrk's. Prints
// medians over the runs and the ratio to the one-commit-per-event rate of the same run, and
// where the two cores went: the server's CPU and wrk's (from /proc), the server's CPU per
// append and how busy the one writer was (from /metrics), so what bounds the ratio on this
// machine is measured in the same run.

struct Options {
    var seconds = 10
    var runs = 3
    var clients = [1, 8, 32]
    var genledger = "../.build/release/genledger"
    var policies = "../policies"
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-service-bench").path
    /// The throwaway-cluster script for the pgbench limit ("" skips it).
    var pgCluster = "../Tests/Fixtures/postgres/pg-cluster"

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next() else { break }
            switch flag {
            case "--seconds": seconds = Int(value)!
            case "--runs": runs = Int(value)!
            // 1 client is always measured: it is the baseline every ratio is taken against.
            case "--clients": clients = Array(Set([1] + value.split(separator: ",").map { Int($0)! })).sorted()
            case "--genledger": genledger = value
            case "--policies": policies = value
            case "--dir": directory = value
            case "--pg-cluster": pgCluster = value
            default: fatalError("unknown flag \(flag)")
            }
        }
    }
}

/// One server on a fresh ledger.
final class Server {
    let process = Process()
    let port: Int
    let token: String
    let adminToken: String
    let log: String

    init(_ options: Options, groupCommit: Bool) throws {
        let ledger = options.directory + "/service-\(groupCommit ? "group" : "single").db"
        Bench.removeLedger(ledger)
        try? FileManager.default.removeItem(atPath: ledger + ".key")
        let env = ["GENLEDGER_LEDGER": ledger]
        try run(options.genledger, ["init", "--origin", "bench.example/log"], environment: env)
        try run(options.genledger, ["policy", "publish", options.policies], environment: env)
        let opening =
            #"{"type":"deliverable.opened","stream":"deliverable/D-BENCH","payload":{"deliverable":"D-BENCH","category":"hero-video","stage":"draft","modality":"text-to-video","platforms":[{"platform":"web","aspect_ratio":"16:9"}]}}"#
        let input = options.directory + "/opening.jsonl"
        try opening.write(toFile: input, atomically: true, encoding: .utf8)
        try run(options.genledger, ["append", "--file", input], environment: env)
        token = try run(options.genledger, ["token", "create", "--role", "writer", "--name", "pipeline:bench"], environment: env)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        adminToken = try run(
            options.genledger, ["token", "create", "--role", "admin", "--name", "admin:bench"], environment: env
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        log = options.directory + "/serve-\(groupCommit ? "group" : "single").log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: options.genledger)
        process.arguments =
            ["serve", "--port", "0", "--rate-limit", "0"] + (groupCommit ? [] : ["--no-group-commit"])
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle.nullDevice
        try process.run()
        var found: Int?
        for _ in 0..<200 where found == nil {
            Thread.sleep(forTimeInterval: 0.05)
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "http://127.0.0.1:") { found = Int(text[range.upperBound...].prefix { $0.isNumber }) }
        }
        port = found!
    }

    /// The ledger's size, from /healthz.
    func size() throws -> Int {
        let text = try run("curl", ["-s", "http://127.0.0.1:\(port)/healthz"])
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        return object["tree_size"] as! Int
    }

    /// A counter of /metrics.
    func metric(_ name: String) throws -> Double {
        let text = try run("curl", ["-s", "-H", "Authorization: Bearer \(adminToken)", "http://127.0.0.1:\(port)/metrics"])
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
            ?? .nan
    }

    /// Write requests answered per durable commit so far.
    func requestsPerCommit() throws -> Double {
        try metric("genledger_committed_requests_total") / metric("genledger_commits_total")
    }

    /// CPU seconds (user + system) the server has used so far.
    func cpuSeconds() -> Double { ProcessCPU.seconds(of: "\(process.processIdentifier)", children: false) }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct Measure {
    var appendsPerSecond: Double
    var p50: Double  // ms
    var p99: Double
    var errors: Int
    /// Cores busy on average: the server's, and the load generator's.
    var serverCores: Double
    var loadCores: Double
    /// The server's CPU per durable append, in microseconds.
    var serverMicrosecondsPerAppend: Double
    /// The share of the time the one writer spent in write transactions.
    var writerBusy: Double
}

/// wrk's latency distribution line, e.g. "     50%    1.23ms", in milliseconds.
func milliseconds(_ output: String, percentile: String) -> Double {
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == percentile else { continue }
        let value = parts[1]
        if value.hasSuffix("us") { return Double(value.dropLast(2))! / 1000 }
        if value.hasSuffix("ms") { return Double(value.dropLast(2))! }
        if value.hasSuffix("s") { return Double(value.dropLast(1))! * 1000 }
    }
    return .nan
}

func load(_ server: Server, clients: Int, seconds: Int, script: String) throws -> Measure {
    let before = try server.size()
    let serverBefore = server.cpuSeconds()
    let loadBefore = ProcessCPU.seconds(of: "self", children: true)
    let writerBefore = try server.metric("genledger_commit_seconds_total")
    let output = try run(
        "wrk",
        [
            "-t", String(min(clients, 2)), "-c", String(clients), "-d", "\(seconds)s", "--latency", "--timeout", "10s", "-s",
            script,
            "-H", "Authorization: Bearer \(server.token)", "http://127.0.0.1:\(server.port)/v1/events",
        ])
    let after = try server.size()
    let serverCPU = server.cpuSeconds() - serverBefore
    let loadCPU = ProcessCPU.seconds(of: "self", children: true) - loadBefore
    let writerSeconds = try server.metric("genledger_commit_seconds_total") - writerBefore
    var errors = 0
    for line in output.split(separator: "\n") where line.contains("Non-2xx or 3xx responses:") {
        errors = Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) ?? 0
    }
    return Measure(
        appendsPerSecond: Double(after - before) / Double(seconds), p50: milliseconds(output, percentile: "50%"),
        p99: milliseconds(output, percentile: "99%"), errors: errors, serverCores: serverCPU / Double(seconds),
        loadCores: loadCPU / Double(seconds), serverMicrosecondsPerAppend: serverCPU / Double(max(1, after - before)) * 1e6,
        writerBusy: writerSeconds / Double(seconds))
}

let options = Options()
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
let script = options.directory + "/append.lua"
try """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '[{"type":"cost.recorded","stream":"deliverable/D-BENCH","payload":{"deliverable":"D-BENCH","kind":"review-time","amount":0.25,"currency":"USD"}}]'
""".write(toFile: script, atomically: true, encoding: .utf8)

print(
    "service-bench: \(options.runs) runs × \(options.seconds) s per client count; wrk on loopback; \(ProcessInfo.processInfo.activeProcessorCount) cores"
)
var results: [String: [Measure]] = [:]
for runIndex in 1...options.runs {
    for grouping in [false, true] {
        let server = try Server(options, groupCommit: grouping)
        defer { server.stop() }
        _ = try load(server, clients: 8, seconds: 1, script: script)  // warm up
        for clients in options.clients {
            let measure = try load(server, clients: clients, seconds: options.seconds, script: script)
            let key = "\(grouping ? "group" : "single") \(clients)"
            results[key, default: []].append(measure)
            print(
                String(
                    format:
                        "  run %d  %-6@ commit, %2d clients: %8.0f appends/s  p50 %6.2f ms  p99 %6.2f ms  non-2xx %d  cores: server %.2f, wrk %.2f  writer busy %.0f %%",
                    runIndex,
                    grouping ? "group" : "single", clients, measure.appendsPerSecond, measure.p50, measure.p99, measure.errors,
                    measure.serverCores, measure.loadCores, measure.writerBusy * 100))
        }
        if grouping {
            print(
                String(
                    format: "  run %d  group commit: %.1f write requests per durable commit over the run", runIndex,
                    try server.requestsPerCommit()))
        }
    }
}

@MainActor func median(_ key: String, _ value: (Measure) -> Double) -> Double { Bench.median(results[key]!.map(value)) }
let baseline = median("single 1") { $0.appendsPerSecond }
let singleBest = options.clients.map { median("single \($0)") { $0.appendsPerSecond } }.max()!
print(
    "\n| commit | clients | durable appends/s (median) | p50 ms | p99 ms | × one commit per event, 1 client | × one commit per event, same clients | server cores | wrk cores | server CPU µs per append | writer busy |"
)
print("|---|---|---|---|---|---|---|---|---|---|---|")
for grouping in [false, true] {
    for clients in options.clients {
        let key = "\(grouping ? "group" : "single") \(clients)"
        let rate = median(key) { $0.appendsPerSecond }
        let same = median("single \(clients)") { $0.appendsPerSecond }
        print(
            String(
                format: "| %@ | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f %% |",
                grouping ? "group" : "one per request", clients, rate, median(key) { $0.p50 }, median(key) { $0.p99 },
                rate / baseline, rate / same, median(key) { $0.serverCores }, median(key) { $0.loadCores },
                median(key) { $0.serverMicrosecondsPerAppend }, median(key) { $0.writerBusy } * 100))
    }
}
print(String(format: "\nbest one-commit-per-event rate (any client count): %.0f appends/s", singleBest))

// What the goal (10x the 1-client one-commit rate at the most clients) asks of this machine.
let most = options.clients.max()!
let perAppend = median("group \(most)") { $0.serverMicrosecondsPerAppend }
let wrkCores = median("group \(most)") { $0.loadCores }
let needed = 10 * baseline
let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
print(
    String(
        format:
            "10x the 1-client one-commit rate is %.0f appends/s: at %.0f µs of server CPU per append (group, %d clients) that is %.2f cores for the server, beside %.2f for wrk, of %.0f",
        needed, perAppend, most, needed * perAppend / 1e6, wrkCores, cores))

// The limit issue 20 names: PostgreSQL's own one-row durable inserts at the most clients, on a
// throwaway cluster on the same disk, measured by pgbench in this run (synchronous_commit on).
func pgbenchInsertRate(clients: Int, seconds: Int) throws -> Double? {
    guard !options.pgCluster.isEmpty, FileManager.default.fileExists(atPath: options.pgCluster),
        let pgbench = try? run("sh", ["-c", "ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -1"]).trimmingCharacters(in: .whitespacesAndNewlines),
        !pgbench.isEmpty
    else { return nil }
    let cluster = options.directory + "/pgbench-cluster"
    _ = spawnAndWait([options.pgCluster, "stop", cluster])  // one an interrupted run left
    let (started, printed) = spawnAndWait([options.pgCluster, "start", cluster])
    guard started == 0 else { fatalError("pg-cluster start failed: \(printed)") }
    let url = printed.trimmingCharacters(in: .whitespacesAndNewlines)
    defer { _ = spawnAndWait([options.pgCluster, "stop", cluster]) }
    // A row the size of an event's (envelope and payload, about 500 bytes) under a random UUID
    // primary key, as an event id is.
    try run("psql", [url, "-q", "-c", "CREATE TABLE bench_events (id uuid PRIMARY KEY, body bytea NOT NULL)"])
    let script = options.directory + "/insert.sql"
    try "INSERT INTO bench_events (id, body) VALUES (gen_random_uuid(), convert_to(repeat('x', 500), 'UTF8'));\n"
        .write(toFile: script, atomically: true, encoding: .utf8)
    let output = try run(pgbench, ["-n", "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", script, url])
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
        let tps = Double(line.dropFirst(6).prefix { $0 != " " })
    else { fatalError("pgbench printed no tps: \(output)") }
    return tps
}

if let pgbench = try pgbenchInsertRate(clients: most, seconds: options.seconds) {
    let ours = median("group \(most)") { $0.appendsPerSecond }
    print(
        String(
            format: "pgbench one-row durable inserts, %d clients, same disk: %.0f/s; genledger serve (group commit) %.0f/s: %.2f of it (goal 0.7)",
            most, pgbench, ours, ours / pgbench))
} else {
    print("pgbench limit skipped: PostgreSQL is not installed (make bench installs it)")
}
