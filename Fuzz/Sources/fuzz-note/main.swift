import FuzzDriver
import Foundation
import LedgerLog

/// Whatever the text: a signed note and a checkpoint parse or fail cleanly; a parsed note
/// verifies (or not) against a fixed key without crashing.
func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: count), as: UTF8.self) else { return 0 }
    if let note = try? SignedNote(parsing: text) {
        _ = try? note.verify(with: [key])
        _ = try? Checkpoint(parsing: note.text)
    }
    _ = try? Checkpoint(parsing: text)
    _ = try? SignedCheckpoint(parsing: text)
    _ = try? NoteVerifierKey(parsing: text)
    return 0
}

let key = try! NoteVerifierKey(parsing: "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")

// libFuzzer's driver, run from this program's own main (SwiftPM provides `main`; the fuzzer
// library's is then left out).
exit(FuzzDriver.run(fuzz))
