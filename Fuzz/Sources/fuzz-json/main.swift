import FuzzDriver
import Foundation
import LedgerLog

/// Whatever the bytes: no crash; and for input that parses, canonical JSON parses back to the
/// same value and canonicalizes to the same bytes (RFC 8785 is idempotent).
func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    let canonical = CanonicalJSON.bytes(of: value)
    guard let again = try? JSONParser.parse(canonical) else {
        fatalError("canonical JSON of a parsed value does not parse: \(String(decoding: canonical, as: UTF8.self))")
    }
    guard CanonicalJSON.bytes(of: again) == canonical else {
        fatalError("canonicalization is not idempotent for \(String(decoding: canonical, as: UTF8.self))")
    }
    return 0
}

// libFuzzer's driver, run from this program's own main (SwiftPM provides `main`; the fuzzer
// library's is then left out).
exit(FuzzDriver.run(fuzz))
