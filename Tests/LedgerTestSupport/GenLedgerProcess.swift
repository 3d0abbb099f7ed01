public import Foundation

/// Runs the built `genledger` binary as a user would.
public enum GenLedgerProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The binary sits beside the test bundle in the build products folder.
    public static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "genledger")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        var root = URL(fileURLWithPath: #filePath)
        while root.pathComponents.count > 1
            && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path)
        {
            root.deleteLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/genledger")
    }

    /// Runs to completion. Output goes through files, so neither pipe can fill and block.
    @discardableResult
    public static func run(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String] = [:],
        in directory: TemporaryDirectory
    ) throws -> Result {
        let process = try start(arguments, stdin: stdin, environment: environment, in: directory)
        process.process.waitUntilExit()
        return process.result()
    }

    public final class Running: @unchecked Sendable {  // used from the test's thread only
        public let process: Process
        let stdoutPath: String
        let stderrPath: String

        init(process: Process, stdoutPath: String, stderrPath: String) {
            self.process = process
            self.stdoutPath = stdoutPath
            self.stderrPath = stderrPath
        }

        public func result() -> Result {
            Result(
                status: process.terminationStatus,
                stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
        }

        public var stdoutSoFar: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    }

    public static func start(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String] = [:],
        in directory: TemporaryDirectory
    ) throws -> Running {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory.url
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "GENLEDGER_LEDGER")
        env.removeValue(forKey: "GENLEDGER_KEY_FILE")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let tag = UUID().uuidString.prefix(8)
        let stdoutPath = directory.path("stdout-\(tag)")
        let stderrPath = directory.path("stderr-\(tag)")
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        if let stdin {
            let inputPath = directory.path("stdin-\(tag)")
            _ = FileManager.default.createFile(atPath: inputPath, contents: Data(stdin.utf8))
            process.standardInput = FileHandle(forReadingAtPath: inputPath)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return Running(process: process, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }
}
