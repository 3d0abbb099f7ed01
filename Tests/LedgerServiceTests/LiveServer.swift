import Foundation
import LedgerTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real `genledger serve` on a loopback port, over a real ledger file with the shipped
/// policies published and one token per role.
final class LiveServer: @unchecked Sendable {  // used from one test at a time
    let directory = TemporaryDirectory("genledger-service")
    let process: GenLedgerProcess.Running
    let port: Int
    /// A token per role, by role name; the token's name is `ROLE:test`.
    private(set) var tokens: [String: String] = [:]

    let ledgerPath: String

    /// Serves `ledger` (a `Studio`'s, say), or a new one with policies/ published; `prepare`
    /// runs against it before the server starts.
    /// `tokens`: those of another instance on the same ledger, instead of creating new ones.
    init(
        arguments: [String] = [], ledger: String? = nil, tokens shared: [String: String]? = nil,
        prepare: ((LiveServer.Setup) throws -> Void)? = nil
    ) throws {
        ledgerPath = ledger ?? directory.path("ledger.db")
        let setup = Setup(directory: directory, ledgerPath: ledgerPath)
        if ledger == nil {
            try setup.genledger(["init", "--origin", "service.example/log"])
            try setup.genledger(["policy", "publish", RepositoryFiles.path("policies")])
        }
        try prepare?(setup)
        for role in ["writer", "approver", "auditor", "admin"] where shared == nil {
            tokens[role] = try setup.genledger(["token", "create", "--role", role, "--name", "\(role):test"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let shared { tokens = shared }
        process = try GenLedgerProcess.start(
            ["serve", "--port", "0"] + arguments, environment: ["GENLEDGER_LEDGER": ledgerPath], in: directory)
        var found: Int?
        for _ in 0..<200 {
            let out = process.stdoutSoFar
            if let range = out.range(of: "http://127.0.0.1:") {
                found = Int(out[range.upperBound...].prefix { $0.isNumber })
                break
            }
            guard process.process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let found else {
            process.process.terminate()
            throw ServerDidNotStart(output: process.result().stderr)
        }
        port = found
    }

    deinit {
        if process.process.isRunning {
            process.process.terminate()
            process.process.waitUntilExit()
        }
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let output: String
        var description: String { "genledger serve did not start: \(output)" }
    }

    /// Runs the CLI against the server's ledger.
    struct Setup {
        let directory: TemporaryDirectory
        let ledgerPath: String

        @discardableResult
        func genledger(_ arguments: [String], stdin: String? = nil) throws -> String {
            let result = try GenLedgerProcess.run(
                arguments, stdin: stdin, environment: ["GENLEDGER_LEDGER": ledgerPath], in: directory)
            guard result.status == 0 else { throw CommandFailed(arguments: arguments, result: result) }
            return result.stdout
        }
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let result: GenLedgerProcess.Result
        var description: String { "genledger \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)" }
    }

    var setup: Setup { Setup(directory: directory, ledgerPath: ledgerPath) }

    // MARK: HTTP

    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        /// `error.<key>` of an error answer.
        func error(_ key: String) -> Any? { (object["error"] as? [String: Any])?[key] }
    }

    /// One request; `role` picks the bearer token (nil: none).
    func request(
        _ method: String, _ path: String, role: String? = "writer", body: String? = nil, headers: [String: String] = [:]
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let role { request.setValue("Bearer \(tokens[role]!)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    func get(_ path: String, role: String? = "writer") async throws -> Reply { try await request("GET", path, role: role) }

    func post(_ path: String, _ body: String, role: String? = "writer", headers: [String: String] = [:]) async throws -> Reply {
        try await request("POST", path, role: role, body: body, headers: headers)
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    /// Stops the server with SIGTERM and waits for it.
    func terminate() -> Int32 {
        process.process.terminate()
        process.process.waitUntilExit()
        return process.process.terminationStatus
    }
}

/// A plain TCP client: for what URLSession hides (reading a stream as it arrives, hanging up
/// before the answer).
final class RawConnection {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(socket) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    /// Whatever arrives next (empty at end of stream or timeout).
    func receive() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buffer[..<n]) : []
    }

    static func request(_ method: String, _ path: String, token: String, body: String = "", headers: [String: String] = [:])
        -> String
    {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        return text + "\r\n" + body
    }
}
