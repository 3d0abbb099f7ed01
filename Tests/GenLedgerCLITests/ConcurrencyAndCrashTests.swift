import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Several processes and sudden death", .serialized)
struct ConcurrencyAndCrashTests {
    static func eventLines(_ count: Int, deliverable: String) -> String {
        (0..<count).map { i in EventLines.cost(deliverable, amount: 0.25, id: UUID(), extra: ",\"i\":\(i)") }
            .joined(separator: "\n") + "\n"
    }

    static func initialized(_ directory: TemporaryDirectory, deliverables: Int) throws {
        #expect(try GenLedgerProcess.run(["init"], in: directory).status == 0)
        let opening = (0..<deliverables).map { EventLines.openDeliverable("D-\($0)") }.joined(separator: "\n")
        #expect(try GenLedgerProcess.run(["append"], stdin: opening, in: directory).status == 0)
    }

    @Test("four processes appending at once: every event present, seqs gapless, ledger verifies")
    func fourWriters() throws {
        let directory = TemporaryDirectory("genledger-concurrency")
        try Self.initialized(directory, deliverables: 2)
        let perWriter = 150
        var writers: [GenLedgerProcess.Running] = []
        for writer in 0..<4 {
            // Two writers share a stream, so stream versions are contended too; --each makes
            // every line its own transaction, so the four interleave event by event.
            let input = Self.eventLines(perWriter, deliverable: "D-\(writer % 2)")
            writers.append(try GenLedgerProcess.start(["append", "--each", "--json"], stdin: input, in: directory))
        }
        var acknowledged: [String: UInt64] = [:]
        for writer in writers {
            writer.process.waitUntilExit()
            let result = writer.result()
            #expect(result.status == 0, "\(result.stderr)")
            for line in result.stdout.split(separator: "\n") {
                let ack = try JSONParser.parse(String(line))
                acknowledged[ack["id"]!.stringValue!] = UInt64(ack["seq"]!.integerValue!)
            }
        }
        #expect(acknowledged.count == 4 * perWriter)
        let ledger = try Ledger(opening: directory.path("genledger.db"))
        let events = try ledger.events()
        #expect(events.map(\.seq) == Array(1...UInt64(2 + 4 * perWriter)))
        for event in events.dropFirst(2) { #expect(acknowledged[event.id] == event.seq) }
        for stream in ["deliverable/D-0", "deliverable/D-1"] {
            #expect(events.filter { $0.stream == stream }.map(\.streamVersion) == Array(1...UInt64(1 + 2 * perWriter)))
        }
        let report = try ledger.verify()
        #expect(report.isValid, "\(report.problems)")
    }

    @Test("killed with SIGKILL 24 times mid-append: every acknowledged event survives and the ledger verifies")
    func crashSafety() throws {
        let directory = TemporaryDirectory("genledger-crash")
        try Self.initialized(directory, deliverables: 3)
        var acknowledged: [String: (seq: UInt64, hash: String)] = [:]
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for round in 0..<24 {
            let writer = try GenLedgerProcess.start(
                ["append", "--each", "--json"], stdin: Self.eventLines(4000, deliverable: "D-\(round % 3)"), in: directory)
            usleep(UInt32.random(in: 20_000...250_000, using: &generator))
            if writer.process.isRunning {
                kill(writer.process.processIdentifier, SIGKILL)
                kills += 1
            }
            writer.process.waitUntilExit()
            // Only complete lines are acknowledgements: a line cut by the kill was never printed whole.
            let output = writer.stdoutSoFar
            for line in output.split(separator: "\n", omittingEmptySubsequences: true) where output.contains(line + "\n") {
                let ack = try JSONParser.parse(String(line))
                acknowledged[ack["id"]!.stringValue!] = (UInt64(ack["seq"]!.integerValue!), ack["hash"]!.stringValue!)
            }
        }
        #expect(kills >= 20, "only \(kills) of 24 writers were still running when killed")
        #expect(acknowledged.count > 0)
        let ledger = try Ledger(opening: directory.path("genledger.db"))
        for (id, ack) in acknowledged {
            let event = try ledger.event(id: id)
            #expect(event?.seq == ack.seq && event?.hash.hex == ack.hash, "acknowledged event \(id) at seq \(ack.seq) lost")
        }
        let report = try ledger.verify()
        #expect(report.isValid, "\(report.problems)")
        #expect(report.eventCount >= UInt64(acknowledged.count))
    }
}
