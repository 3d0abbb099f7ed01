import ArgumentParser
import Foundation
import Governance
import LedgerLog

/// The documented exit codes (README.md, docs/CLI.md). Scripts depend on them: never renumber.
enum Exit {
    static let failure: Int32 = 1
    static let verificationFailed: Int32 = 2
    static let conflict: Int32 = 3
    static let policyDenied: Int32 = 4
    static let badInput: Int32 = 65
    static let noLedger: Int32 = 66
    static let cannotCreate: Int32 = 73
    /// The database server (PostgreSQL) cannot be reached or went away; nothing was written.
    static let unavailable: Int32 = 69

    static func code(for error: LedgerError) -> Int32 {
        switch error.code {
        case .badInput: badInput
        case .conflict: conflict
        case .notALedger, .schemaTooNew, .keyUnavailable: noLedger
        case .damaged, .verificationFailed: verificationFailed
        case .alreadyExists: cannotCreate
        case .unavailable: unavailable
        default: failure
        }
    }

    static func code(for error: GovernanceError) -> Int32 {
        switch error.code {
        case .invalidEvent, .invalidPolicy: badInput
        case .denied: policyDenied
        default: failure
        }
    }
}

/// Runs a command body, turning ledger errors into a message on standard error and the
/// documented exit code.
func reportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch { throw reported(error) }
}

/// `reportingErrors` for an async body.
func reportingErrorsAsync(_ body: () async throws -> Void) async throws {
    do { try await body() } catch { throw reported(error) }
}

/// The error as the command line reports it: a message on standard error and the documented
/// exit code (other errors pass through, for ArgumentParser to report).
private func reported(_ error: any Error) -> any Error {
    switch error {
    case let error as LedgerError:
        printError(error.description)
        return ExitCode(Exit.code(for: error))
    case let error as GovernanceError:
        printError(error.description)
        return ExitCode(Exit.code(for: error))
    case let error as PolicyFolderError:
        for failure in error.errors { printError(failure.description) }
        return ExitCode(Exit.badInput)
    case let failure as JSONParser.Failure:
        printError("a recorded payload is not valid JSON: \(failure)")
        return ExitCode(Exit.verificationFailed)
    default:
        return error
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("genledger: error: " + message + "\n").utf8))
}

func printWarning(_ message: String) {
    FileHandle.standardError.write(Data(("genledger: warning: " + message + "\n").utf8))
}

/// Standard output, buffered: commands that print a line per event print millions.
struct Output {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0a)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func line(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0a)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
