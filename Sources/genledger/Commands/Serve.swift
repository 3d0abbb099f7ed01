import ArgumentParser
import Foundation
import Governance
import LedgerLog
import LedgerService

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger over HTTP: appends through the gate, routing, proofs, reports and web pages.",
        discussion: """
            docs/API.md describes every endpoint and docs/openapi.yaml defines them. Callers send \
            a bearer token made with 'genledger token create'. Writes from many clients share \
            durable transactions (group commit); each is answered only once it is durable. \
            SIGTERM or SIGINT: stop accepting, finish the requests in flight, end live streams, exit 0.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port (0: any free port; the one chosen is printed).")
    var port = 8080

    @Option(help: "Largest request body, in bytes (413 beyond).")
    var maxBody = 1 << 20

    @Option(help: "Most events in one POST /v1/events batch (413 beyond).")
    var maxBatch = 1000

    @Option(help: "Requests a second per token, bursts up to the same (429 beyond); 0: no limit.")
    var rateLimit: Double = 200

    @Option(help: "Read connections.")
    var readers = 2

    @Flag(inversion: .prefixedNo, help: "Group commit: writers waiting together share one durable transaction.")
    var groupCommit = true

    @Option(help: "Seconds from accepting a connection to a complete request head.")
    var headerTimeout: Double = 10

    @Option(help: "Seconds from a request head to the end of its body.")
    var bodyTimeout: Double = 30

    @Option(help: "Seconds a kept-alive connection may wait for its next request.")
    var idleTimeout: Double = 30

    @Option(help: "Open connections at most; one more is answered 503 and closed.")
    var maxConnections = 512

    @Option(help: "Seconds a client may leave the server's send buffer (64 KiB) full before it is disconnected.")
    var stallTimeout: Double = 10

    @Option(help: "Live event streams open at once (503 beyond).")
    var maxSubscribers = 64

    @Option(help: "Seconds after SIGTERM before the process exits whatever clients do.")
    var shutdownDeadline: Double = 10

    @Option(help: "Provider webhooks in and notifications out: a YAML file (docs/WEBHOOKS.md).")
    var webhooks: String?

    @Flag(inversion: .prefixedNo, help: "One structured log line per request on standard error (method, path, status, duration, token name).")
    var requestLog = true

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port is 0 to 65535") }
        guard maxBody >= 1024 else { throw ValidationError("--max-body is at least 1024 bytes") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch is at least 1") }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit is 0 (none) or more") }
        guard (1...64).contains(readers) else { throw ValidationError("--readers is 1 to 64") }
        for (name, seconds) in [
            ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout),
            ("--shutdown-deadline", shutdownDeadline), ("--stall-timeout", stallTimeout),
        ] where !(seconds > 0 && seconds <= 3600) {
            throw ValidationError("\(name) is above 0 and at most 3600 seconds")
        }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections is at least 1") }
        guard maxSubscribers >= 0 else { throw ValidationError("--max-subscribers is 0 or more") }
    }

    func run() async throws {
        var configuration = ServiceConfiguration(ledgerPath: ledger.path)
        configuration.host = host
        configuration.port = port
        configuration.maxBodyBytes = maxBody
        configuration.maxBatchEvents = maxBatch
        configuration.rateLimit = rateLimit
        configuration.readers = readers
        configuration.groupCommit = groupCommit
        configuration.connections.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        configuration.connections.bodyTimeout = .milliseconds(Int64(bodyTimeout * 1000))
        configuration.connections.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        configuration.connections.maxConnections = maxConnections
        configuration.connections.stallTimeout = .milliseconds(Int64(stallTimeout * 1000))
        configuration.maxSubscribers = maxSubscribers
        configuration.shutdownDeadline = .milliseconds(Int64(shutdownDeadline * 1000))
        configuration.logRequests = requestLog
        do {
            if let webhooks { configuration.webhooks = try WebhookConfiguration(path: webhooks) }
        } catch let error as GovernanceError {
            printError(error.description)
            throw ExitCode(Exit.code(for: error))
        }
        do {
            _ = try ledger.open()  // a missing or foreign file is named before anything listens
            try await LedgerServer.run(configuration) { host, port in
                FileHandle.standardOutput.write(Data("genledger: serving \(ledger.path) on http://\(host):\(port)\n".utf8))
            }
        } catch let error as LedgerError {
            printError(error.description)
            throw ExitCode(Exit.code(for: error))
        }
    }
}

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Bearer tokens for 'genledger serve': the ledger keeps only their SHA-256.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a token and print it, once.",
            discussion: """
                Roles: writer (pipelines: append, route, regenerations, replays), approver (grants \
                overrides; reads), auditor (reads), admin (everything but overrides). The name is \
                recorded as the actor of every event the token writes (an approver's name is the \
                approver the policy must list).
                """)
        @OptionGroup var ledger: LedgerOptions
        @Option(help: "writer, approver, auditor or admin.") var role: String
        @Option(help: "Who holds it, e.g. pipeline:render-farm or approver:lena.") var name: String

        func validate() throws {
            guard ServiceRole(rawValue: role) != nil else {
                throw ValidationError("--role is writer, approver, auditor or admin")
            }
        }

        func run() throws {
            try reportingErrors {
                print(try ServiceTokens.create(in: try ledger.open(), name: name, role: ServiceRole(rawValue: role)!))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every token's name, role and creation time.")
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            try reportingErrors {
                var out = Output()
                for (token, createdAt) in try ServiceTokens.list(in: try ledger.open()) {
                    out.line("\(token.name)\t\(token.role.rawValue)\t\(createdAt)")
                }
                out.flush()
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Remove a token (a running server stops accepting it within seconds).")
        @OptionGroup var ledger: LedgerOptions
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            try reportingErrors {
                guard try ServiceTokens.revoke(in: try ledger.open(), name: name) else {
                    throw LedgerError(.badInput, "no token is named '\(name)'", field: "name")
                }
            }
        }
    }
}
