public import Foundation
public import LedgerLog
import OutboundHTTP

/// Asks a C2SP tlog-witness to cosign a checkpoint the ledger issued. It starts from the size
/// the witness last cosigned as far as it knows (zero at first); a witness that has cosigned
/// another size answers 409 with it, and the request is made again once with the consistency
/// proof from that size. A witness that has seen a larger tree, or whose tree this checkpoint
/// does not extend, refuses: the history was truncated or rewritten.
public struct WitnessClient: Sendable {
    public let url: URL
    public let key: Cosignature.VerifierKey

    public init(url: URL, key: Cosignature.VerifierKey) {
        self.url = url
        self.key = key
    }

    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The witness's cosignature line of `checkpoint`, verified under `key`.
    public func cosign(_ checkpoint: StoredCheckpoint, ledger: Ledger, lastKnownSize: UInt64 = 0) async throws -> String {
        var old = min(lastKnownSize, checkpoint.treeSize)
        for _ in 0..<2 {
            let proof = old == 0 || old == checkpoint.treeSize ? [] : try ledger.consistencyProof(oldSize: old, newSize: checkpoint.treeSize).path
            var body = "old \(old)\n"
            for hash in proof { body += hash.base64 + "\n" }
            body += "\n" + checkpoint.note
            // A witness answers a few signature lines or a size: 64 KiB is plenty.
            let request = OutboundRequest(
                method: "POST", url: url.appendingPathComponent("add-checkpoint"), body: Array(body.utf8), timeout: 15,
                maxResponseBytes: 64 * 1024)
            let response: OutboundResponse
            do { response = try await OutboundClient.shared.send(request) } catch {
                throw Refusal(description: "witness \(key.name) at \(url) is unreachable: \(error)")
            }
            let status = response.status
            let text = response.text
            switch status {
            case 200:
                let note = try SignedNote(parsing: checkpoint.note + text)
                guard try key.timestamp(in: note.signatures, body: note.text) != nil else {
                    throw Refusal(description: "witness \(key.name) answered no cosignature under its key")
                }
                guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("\u{2014} \(key.name) ") }) else {
                    throw Refusal(description: "witness \(key.name) answered no cosignature line")
                }
                return String(line) + "\n"
            case 409:
                guard let size = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw Refusal(description: "witness \(key.name) refuses: the tree of size \(checkpoint.treeSize) has another root than the one it cosigned")
                }
                guard size <= checkpoint.treeSize else {
                    throw Refusal(
                        description:
                            "witness \(key.name) has cosigned a tree of \(size) events, larger than this checkpoint's \(checkpoint.treeSize): the log was truncated or rewritten"
                    )
                }
                if size == old {
                    throw Refusal(description: "witness \(key.name) refuses: the tree of size \(size) has another root than the one it cosigned")
                }
                old = size
            case 422:
                throw Refusal(
                    description: "witness \(key.name) refuses: this checkpoint does not extend the tree of \(old) events it cosigned (\(text.trimmingCharacters(in: .whitespacesAndNewlines)))")
            default:
                throw Refusal(description: "witness \(key.name) answered HTTP \(status): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        throw Refusal(description: "witness \(key.name) kept changing its size")
    }
}
