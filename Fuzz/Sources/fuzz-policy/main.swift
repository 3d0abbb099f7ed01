import FuzzDriver
import Foundation
import Governance
import LedgerLog

/// Whatever the bytes: a policy document, governance policy, routing table or catalog, or a
/// clear error; never a crash, never unbounded work (the limits of docs/POLICIES.md).
func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: count), as: UTF8.self) else { return 0 }
    guard let document = try? PolicyDocument(yaml: text, file: "fuzz.yaml") else { return 0 }
    _ = try? document.read(GovernancePolicy.init)
    _ = try? document.read(RoutingTable.init)
    _ = try? document.read(ModelCatalog.init)
    _ = PolicyDigest.of(document.value)
    return 0
}

// libFuzzer's driver, run from this program's own main (SwiftPM provides `main`; the fuzzer
// library's is then left out).
exit(FuzzDriver.run(fuzz))
