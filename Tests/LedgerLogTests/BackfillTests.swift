import Foundation
import LedgerLog
import LedgerTestSupport
import Testing

/// `Ledger.backfillingBeside`: commits copied from SQLite's write-ahead log into the file on
/// another thread while this one writes, and the rest at the end.
@Suite("Backfill beside a large write: every committed page in the file at the end")
struct BackfillTests {
    /// The write-ahead log's last frame and the last one copied into the file, from the
    /// wal-index (the `-shm` file SQLite maps): `mxFrame` at byte 16 of its header, `nBackfill`
    /// at byte 96, both in this machine's byte order.
    static func frames(of path: String) throws -> (last: UInt32, copied: UInt32) {
        let index = try Data(contentsOf: URL(fileURLWithPath: path + "-shm"))
        func word(_ offset: Int) -> UInt32 { index.subdata(in: offset..<(offset + 4)).withUnsafeBytes { $0.load(as: UInt32.self) } }
        return (word(16), word(96))
    }

    static func automaticBackfill(_ ledger: Ledger) throws -> Int64? {
        try ledger.withSideTables(write: false) { try $0.rows("PRAGMA wal_autocheckpoint").first?[0].int }
    }

    @Test("parts committed and copied beside, one more after the last request: all of it in the file, automatic backfill back on")
    func everythingCopied() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        try ledger.append(LedgerFixtures.events(3))
        let filler = String(repeating: "x", count: 500)
        try ledger.backfillingBeside { backfill in
            for part in 0..<4 {
                try ledger.withSideTables(write: true) { tables in
                    try tables.execute("CREATE TABLE part\(part) (n INTEGER, note TEXT)")
                    for n in 0..<2_000 { try tables.run("INSERT INTO part\(part) VALUES (?, ?)", [.integer(Int64(n)), .text(filler)]) }
                }
                backfill()
            }
            // Nothing copies this part until the end: the automatic backfill is off.
            try ledger.withSideTables(write: true) { tables in
                try tables.execute("CREATE TABLE last (n INTEGER, note TEXT)")
                for n in 0..<2_000 { try tables.run("INSERT INTO last VALUES (?, ?)", [.integer(Int64(n)), .text(filler)]) }
            }
            #expect(try Self.automaticBackfill(ledger) == 0)
            let frames = try Self.frames(of: ledger.path)
            #expect(frames.copied < frames.last)
        }
        let frames = try Self.frames(of: ledger.path)
        #expect(frames.last > 1_000 && frames.copied == frames.last, "\(frames)")
        #expect(try Self.automaticBackfill(ledger) == 1_000)
        let rows = try ledger.withSideTables(write: false) { try $0.rows("SELECT count(*) FROM last").first?[0].int }
        #expect(rows == 2_000)
    }

    @Test("a part that fails: the error comes out, the copying thread is waited for, automatic backfill back on")
    func failingPart() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory)
        try ledger.append(LedgerFixtures.events(3))
        #expect {
            try ledger.backfillingBeside { backfill in
                backfill()
                try ledger.withSideTables(write: true) { try $0.execute("INSERT INTO nowhere VALUES (1)") }
            }
        } throws: { "\($0)".contains("nowhere") }
        #expect(try Self.automaticBackfill(ledger) == 1_000)
        try ledger.append(LedgerFixtures.events(2))
        #expect(try ledger.size() == 5)
    }
}
