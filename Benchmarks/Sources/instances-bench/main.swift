import BenchSupport
import Foundation

// Durable appends through 1, 2 and 3 `genledger serve` instances on one PostgreSQL ledger, in one
// run with its limits: the single-instance SQLite figure, and pgbench's one-row durable inserts
// (a custom script) at the same number of clients on the same throwaway cluster. wrk drives 32
// connections in all, split evenly across the instances (one wrk per instance, as a load
// balancer would spread them), each POSTing one event per request. Appends are counted from the
// ledger (max(seq) before and after: durable, acknowledged events). Where the two cores went is
// measured beside each figure: the instances' CPU, PostgreSQL's (postmaster and its backends)
// and wrk's.

struct Options {
    var seconds = 10
    var runs = 3
    var clients = 32
    var genledger = "../.build/release/genledger"
    var policies = "../policies"
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("genledger-instances-bench").path
    var pgCluster = "../Tests/Fixtures/postgres/pg-cluster"

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let flag = arguments.next() {
            guard let value = arguments.next() else { fatalError("\(flag) needs a value") }
            switch flag {
            case "--seconds": seconds = Int(value)!
            case "--runs": runs = Int(value)!
            case "--clients": clients = Int(value)!
            case "--genledger": genledger = value
            case "--policies": policies = value
            case "--dir": directory = value
            case "--pg-cluster": pgCluster = value
            default: fatalError("unknown flag \(flag) (flags: --seconds --runs --clients --genledger --policies --dir --pg-cluster)")
            }
        }
    }
}

let options = Options()
try? FileManager.default.removeItem(atPath: options.directory)
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
let cluster = "/tmp/genledger-instances-bench-pg"  // directly under /tmp: the server may run as 'postgres'
_ = spawnAndWait([options.pgCluster, "stop", cluster])
let (started, printed) = spawnAndWait([options.pgCluster, "start", cluster])
guard started == 0 else { fatalError("pg-cluster start failed: \(printed)") }
let clusterURL = printed.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init)!
defer { _ = spawnAndWait([options.pgCluster, "stop", cluster]) }
let bin = try run("sh", ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1"]).trimmingCharacters(in: .whitespacesAndNewlines)

@discardableResult
func psql(_ url: String, _ sql: String) throws -> String {
    try run("\(bin)/psql", [url, "-qAt", "-c", sql]).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A fresh ledger (a database on the cluster, or a file) with the policies published, one
/// deliverable open and a writer token.
func prepareLedger(_ location: String) throws -> String {
    let key = options.directory + "/bench-\(UUID().uuidString.prefix(6)).key"
    let env = ["GENLEDGER_LEDGER": location, "GENLEDGER_KEY_FILE": key]
    try run(options.genledger, ["init", "--origin", "bench.example/instances", "--key-file", key], environment: env)
    try run(options.genledger, ["policy", "publish", options.policies], environment: env)
    let input = options.directory + "/opening.jsonl"
    try #"{"type":"deliverable.opened","stream":"deliverable/D-BENCH","payload":{"deliverable":"D-BENCH","category":"hero-video","stage":"draft","modality":"text-to-video","platforms":[{"platform":"web","aspect_ratio":"16:9"}]}}"#
        .write(toFile: input, atomically: true, encoding: .utf8)
    try run(options.genledger, ["append", "--file", input], environment: env)
    return try run(options.genledger, ["token", "create", "--role", "writer", "--name", "pipeline:bench"], environment: env)
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

/// One `genledger serve` on a loopback port.
final class Instance {
    let process = Process()
    var port = 0

    init(ledger: String, index: Int) throws {
        let log = options.directory + "/serve-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: options.genledger)
        process.arguments = ["serve", "--port", "0", "--rate-limit", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(["GENLEDGER_LEDGER": ledger]) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<400 where port == 0 {
            Thread.sleep(forTimeInterval: 0.05)
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "http://127.0.0.1:") { port = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0 }
        }
        guard port != 0 else { fatalError("genledger serve did not start on \(ledger)") }
    }

    var cpuSeconds: Double { ProcessCPU.seconds(of: "\(process.processIdentifier)", children: false) }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

let script = options.directory + "/append.lua"
try """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '[{"type":"cost.recorded","stream":"deliverable/D-BENCH","payload":{"deliverable":"D-BENCH","kind":"review-time","amount":0.25,"currency":"USD"}}]'
""".write(toFile: script, atomically: true, encoding: .utf8)

/// wrk against every instance at once, `clients` connections split across them.
func load(_ instances: [Instance], token: String, seconds: Int) throws -> Int {
    let processes = instances.enumerated().map { index, instance -> (Process, Pipe) in
        let share = options.clients / instances.count + (index < options.clients % instances.count ? 1 : 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "wrk", "-t", "1", "-c", String(share), "-d", "\(seconds)s", "--timeout", "10s", "-s", script,
            "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(instance.port)/v1/events",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        return (process, pipe)
    }
    for (process, _) in processes { try process.run() }
    var errors = 0
    for (process, pipe) in processes {
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        for line in output.split(separator: "\n") where line.contains("Non-2xx or 3xx responses:") {
            errors += Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) ?? 0
        }
    }
    return errors
}

struct Measure {
    var appendsPerSecond: Double
    var errors: Int
    var instanceCores: Double
    var postgresCores: Double
    var wrkCores: Double
}

func measure(ledger: String, instances count: Int, size: () throws -> Int) throws -> Measure {
    let token = try prepareLedger(ledger)
    let instances = try (0..<count).map { try Instance(ledger: ledger, index: $0) }
    defer { for instance in instances { instance.stop() } }
    _ = try load(instances, token: token, seconds: 1)  // warm up
    let before = try size()
    let instancesBefore = instances.map(\.cpuSeconds).reduce(0, +)
    let postgresBefore = ProcessCPU.postgresSeconds(dataDirectory: cluster + "/data")
    let wrkBefore = ProcessCPU.seconds(of: "self", children: true)
    let errors = try load(instances, token: token, seconds: options.seconds)
    let after = try size()
    let seconds = Double(options.seconds)
    return Measure(
        appendsPerSecond: Double(after - before) / seconds, errors: errors,
        instanceCores: (instances.map(\.cpuSeconds).reduce(0, +) - instancesBefore) / seconds,
        postgresCores: (ProcessCPU.postgresSeconds(dataDirectory: cluster + "/data") - postgresBefore) / seconds,
        wrkCores: (ProcessCPU.seconds(of: "self", children: true) - wrkBefore) / seconds)
}

/// pgbench's one-row durable inserts at the same clients (a row the size of an event's, under a
/// random UUID primary key, as an event id is).
func pgbench() throws -> Measure {
    try psql(clusterURL, "DROP TABLE IF EXISTS bench_events; CREATE TABLE bench_events (id uuid PRIMARY KEY, body bytea NOT NULL)")
    let insert = options.directory + "/insert.sql"
    try "INSERT INTO bench_events (id, body) VALUES (gen_random_uuid(), convert_to(repeat('x', 500), 'UTF8'));\n"
        .write(toFile: insert, atomically: true, encoding: .utf8)
    let postgresBefore = ProcessCPU.postgresSeconds(dataDirectory: cluster + "/data")
    let loadBefore = ProcessCPU.seconds(of: "self", children: true)
    let output = try run("\(bin)/pgbench", ["-n", "-c", String(options.clients), "-j", "2", "-T", String(options.seconds), "-f", insert, clusterURL])
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
        let tps = Double(line.dropFirst(6).prefix { $0 != " " })
    else { fatalError("pgbench printed no tps: \(output)") }
    let seconds = Double(options.seconds)
    return Measure(
        appendsPerSecond: tps, errors: 0, instanceCores: 0,
        postgresCores: (ProcessCPU.postgresSeconds(dataDirectory: cluster + "/data") - postgresBefore) / seconds,
        wrkCores: (ProcessCPU.seconds(of: "self", children: true) - loadBefore) / seconds)
}

print(
    "instances-bench: \(options.runs) runs × \(options.seconds) s, \(options.clients) clients; PostgreSQL \(try psql(clusterURL, "SHOW server_version")) (synchronous_commit \(try psql(clusterURL, "SHOW synchronous_commit"))); \(ProcessInfo.processInfo.activeProcessorCount) cores"
)
var results: [String: [Measure]] = [:]
for runIndex in 1...options.runs {
    results["pgbench", default: []].append(try pgbench())
    let file = options.directory + "/run\(runIndex).db"
    results["sqlite 1", default: []].append(
        try measure(ledger: file, instances: 1) {
            Int(try run(options.genledger, ["log", "--ledger", file, "--newest", "--limit", "1", "--json"]).split(separator: ",")
                .first { $0.hasPrefix("\"seq\":") }.map { $0.dropFirst(6) }.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0)
        })
    for count in 1...3 {
        let database = "bench_\(runIndex)_\(count)"
        try psql(clusterURL, "CREATE DATABASE \(database)")
        let url = clusterURL.replacingOccurrences(of: "/genledger", with: "/\(database)")
        results["postgres \(count)", default: []].append(
            try measure(ledger: url, instances: count) { Int(try psql(url, "SELECT coalesce(max(seq), 0) FROM events")) ?? 0 })
    }
    for key in ["pgbench", "sqlite 1", "postgres 1", "postgres 2", "postgres 3"] {
        let m = results[key]!.last!
        print(
            String(
                format: "  run %d  %-10@ %8.0f appends/s  non-2xx %d  cores: genledger %.2f, PostgreSQL %.2f, load %.2f", runIndex,
                key, m.appendsPerSecond, m.errors, m.instanceCores, m.postgresCores, m.wrkCores))
    }
}

@MainActor func median(_ key: String, _ value: (Measure) -> Double) -> Double { Bench.median(results[key]!.map(value)) }
let limit = median("pgbench") { $0.appendsPerSecond }
let one = median("postgres 1") { $0.appendsPerSecond }
print("\n| store | instances | durable appends/s (median) | × one PostgreSQL instance | × pgbench inserts | cores: genledger | cores: PostgreSQL | cores: load |")
print("|---|---|---|---|---|---|---|---|")
for (key, store, count) in [("sqlite 1", "SQLite", "1"), ("postgres 1", "PostgreSQL", "1"), ("postgres 2", "PostgreSQL", "2"), ("postgres 3", "PostgreSQL", "3"), ("pgbench", "pgbench one-row inserts", "—")] {
    let rate = median(key) { $0.appendsPerSecond }
    print(
        String(
            format: "| %@ | %@ | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f |", store, count, rate, rate / one, rate / limit,
            median(key) { $0.instanceCores }, median(key) { $0.postgresCores }, median(key) { $0.wrkCores }))
}
let three = median("postgres 3") { $0.appendsPerSecond }
print(String(format: "\ngoals: 3 instances ≥ 2× one: %.2f×; ≥ 0.5 of pgbench: %.2f", three / one, three / limit))
