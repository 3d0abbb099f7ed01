import Foundation
import FuzzDriver
import LedgerLog

/// Whatever the bytes: a proof document parses or is refused naming its field, and a parsed
/// proof verifies or fails with a reason; never a crash, whatever sizes and paths it claims.
func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let proof = try? ProofDocument(parsing: Array(UnsafeBufferPointer(start: data, count: count))) else { return 0 }
    _ = try? proof.verify()
    return 0
}

exit(FuzzDriver.run(fuzz))
