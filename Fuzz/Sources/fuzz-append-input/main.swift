import FuzzDriver
import Foundation
import Governance
import LedgerLog

/// Whatever the line: a proposed event and a vocabulary event, or an error naming the field;
/// `gate check` and `append` both start here (Ledger.validate, then the decoder).
func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: count))
    guard let event = try? ProposedEvent(line: line) else { return 0 }
    guard (try? Ledger.validate(event)) != nil else { return 0 }
    _ = try? DomainEvent.decode(type: event.type, stream: event.stream, payload: event.payload)
    return 0
}

// libFuzzer's driver, run from this program's own main (SwiftPM provides `main`; the fuzzer
// library's is then left out).
exit(FuzzDriver.run(fuzz))
