import Foundation

/// A throwaway PostgreSQL cluster (`Tests/Fixtures/postgres/pg-cluster`): initdb in a fresh
/// folder under the system's temporary directory, started on a free loopback port, stopped and
/// removed by `stop()` or when the value is released. `make test` installs PostgreSQL when absent.
public final class PostgresCluster: @unchecked Sendable {  // Immutable after start; stop() is idempotent.
    public let url: String
    public let directory: String
    private var stopped = false

    public init() throws {
        // Directly under /tmp: when the tests run as root the server runs as 'postgres', which
        // must be able to reach the folder.
        directory = "/tmp/genledger-pg-\(UUID().uuidString.prefix(8))"
        let (status, output) = try Self.run([Self.script, "start", directory])
        guard status == 0, let line = output.split(separator: "\n").last, line.hasPrefix("postgres://") else {
            throw ClusterError(message: "could not start a PostgreSQL cluster (\(status)): \(output)")
        }
        url = String(line)
    }

    deinit { stop() }

    public static let script = RepositoryFiles.path("Tests/Fixtures/postgres/pg-cluster")

    /// The server's own control: stop it (immediate, like a crash) or start it again on the same port.
    public func control(_ action: String) throws {
        let bin = try Self.run(["/bin/sh", "-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let port = url.split(separator: ":").last!.split(separator: "/").first!
        var arguments = ["\(bin)/pg_ctl", "-D", "\(directory)/data", "-w"]
        switch action {
        case "stop": arguments += ["-m", "immediate", "stop"]
        default: arguments += ["-l", "\(directory)/server.log", "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start"]
        }
        let asOwner = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments
        let (status, output) = try Self.run(asOwner)
        guard status == 0 else { throw ClusterError(message: "pg_ctl \(action) failed: \(output)") }
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? Self.run([Self.script, "stop", directory])
    }

    /// Runs a command with its output in a file, not a pipe: the server it starts inherits the
    /// command's descriptors and would hold a pipe open for as long as it runs.
    static func run(_ command: [String]) throws -> (status: Int32, output: String) {
        let log = NSTemporaryDirectory() + "genledger-pg-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        // posix_spawn and waitpid, not Foundation's Process: its child monitor missed the exit of a
        // shell whose grandchild (the server) lives on, and waited for ever.
        let arguments = ["/bin/sh", "-c", "\(quoted) >'\(log)' 2>&1 </dev/null"]
        var pid: pid_t = 0
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
        guard spawned == 0 else { throw ClusterError(message: "cannot run /bin/sh: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    public struct ClusterError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
