public import Foundation

/// Runs a program to its end and returns what it printed (standard output and error); a
/// failure ends the benchmark, naming the command.
@discardableResult
public func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = URL(
        fileURLWithPath: executable.hasPrefix("/") || executable.hasPrefix(".") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") || executable.hasPrefix(".") ? arguments : [executable] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else { fatalError("\(executable) \(arguments.joined(separator: " ")) failed: \(text)") }
    return text
}

/// Runs a command to its end with posix_spawn and waitpid, its output in a file: Foundation's
/// Process missed the exit of a script whose grandchild (the PostgreSQL server) lives on.
public func spawnAndWait(_ command: [String]) -> (status: Int32, output: String) {
    let log = NSTemporaryDirectory() + "genledger-spawn-\(UUID().uuidString).out"
    defer { try? FileManager.default.removeItem(atPath: log) }
    let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    let arguments: [String] = ["/bin/sh", "-c", "\(quoted) >'\(log)' 2>&1 </dev/null"]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else { return (127, "cannot run /bin/sh") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

/// CPU time from /proc/PID/stat: utime + stime, or with `children` cutime + cstime (the
/// children waited for: here wrk and curl).
public enum ProcessCPU {
    public static func seconds(of pid: String, children: Bool) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return .nan }
        // After the command name: field 3 (state) is element 1, so field n is element n - 2.
        let fields = stat[close...].split(separator: " ")
        let (user, system) = children ? (fields[14], fields[15]) : (fields[12], fields[13])
        return (Double(user)! + Double(system)!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A PostgreSQL server's CPU so far: the postmaster and every process it started (backends,
    /// WAL writer, checkpointer), living or reaped.
    public static func postgresSeconds(dataDirectory: String) -> Double {
        guard let pidFile = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let postmaster = pidFile.split(separator: "\n").first.map(String.init)
        else { return .nan }
        var total = seconds(of: postmaster, children: false) + seconds(of: postmaster, children: true)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[close...].split(separator: " ")
            if fields.count > 2, fields[2] == postmaster { total += seconds(of: entry, children: false) }
        }
        return total
    }
}
