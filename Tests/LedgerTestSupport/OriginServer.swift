public import Foundation

/// A process of Tests/Fixtures/http-origin/origin.py (Python's http.server and ssl): an origin,
/// a static file host, over TLS when given a certificate, or a forward proxy. Stopped when
/// released.
public final class OriginServer: @unchecked Sendable {  // immutable after init
    private let process = Process()
    private let input = Pipe()
    public let port: Int

    static let script = RepositoryFiles.path("Tests/Fixtures/http-origin/origin.py")

    public init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        var line: [UInt8] = []
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "origin.py printed no port"])
        }
        self.port = port
    }

    deinit {
        // SIGKILL: a child of the test process may inherit SIGTERM blocked.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func url(_ path: String, scheme: String = "http", host: String = "127.0.0.1") -> URL {
        URL(string: "\(scheme)://\(host):\(port)\(path)")!
    }

    /// A test CA, a certificate it signs for 127.0.0.1 and localhost (`server`), and one it
    /// signs for other.example only (`other`), made once per test process.
    public static let certificates: TemporaryDirectory = {
        let directory = TemporaryDirectory("genledger-outbound-tls")
        let made = try? ExternalTool.run("/usr/bin/env", ["python3", script, "certificates", directory.path("")])
        precondition(made?.status == 0, "origin.py certificates: \(made?.output ?? "did not run")")
        return directory
    }()

    public static func certificate(_ stem: String) -> [String] {
        ["--tls", certificates.path("\(stem).pem"), certificates.path("\(stem).key")]
    }
}
