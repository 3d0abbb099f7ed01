import Foundation
import HTTPTypes
import Hummingbird
public import LedgerLog
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A C2SP tlog-witness (`genledger witness serve`): `POST /add-checkpoint` takes an old size, a
/// consistency proof and a checkpoint; it checks the log's signature (keys configured per
/// origin), that the old size is the size it last cosigned for that origin, and the proof; then
/// it records the new size and root, durably, before answering with its cosignature
/// (C2SP tlog-cosignature). A history rewritten or truncated after a cosignature can never get
/// another one from this witness.
public enum WitnessServer {
    public struct Configuration: Sendable {
        public var key: Cosignature.SignerKey
        /// The logs it witnesses: their checkpoint verifier keys, by origin.
        public var logs: [String: [NoteVerifierKey]]
        /// Where the latest cosigned size and root of each log are kept.
        public var statePath: String
        public var host = "127.0.0.1"
        public var port = 0

        public init(key: Cosignature.SignerKey, logs: [String: [NoteVerifierKey]], statePath: String) {
            self.key = key
            self.logs = logs
            self.statePath = statePath
        }
    }

    /// Largest request body (an old size, at most 63 proof lines and a checkpoint).
    static let maxBody = 64 * 1024

    public static func run(_ configuration: Configuration, listening: @escaping @Sendable (String, Int) -> Void) async throws {
        var logger = Logger(label: "genledger.witness")
        logger.logLevel = .notice
        let state = try WitnessState(path: configuration.statePath)
        let router = Router()
        router.post("/add-checkpoint") { request, _ -> Response in
            var body: [UInt8] = []
            for try await buffer in request.body {
                guard body.count + buffer.readableBytes <= maxBody else {
                    return plain(.contentTooLarge, "the request is over \(maxBody) bytes\n")
                }
                body.append(contentsOf: buffer.readableBytesView)
            }
            return addCheckpoint(body, configuration: configuration, state: state)
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "genledger-witness"),
            onServerRunning: { channel in listening(configuration.host, channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The add-checkpoint rules of C2SP tlog-witness, in its order.
    static func addCheckpoint(_ body: [UInt8], configuration: Configuration, state: WitnessState) -> Response {
        let text = String(decoding: body, as: UTF8.self)
        guard let blank = text.range(of: "\n\n") else { return plain(.badRequest, "expected old size, proof lines, a blank line, a checkpoint\n") }
        let head = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        let note = String(text[blank.upperBound...])
        guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)),
            String(old) == first.dropFirst(4)
        else { return plain(.badRequest, "the first line must be 'old <size>' in decimal without leading zeros\n") }
        let proofLines = head.dropFirst()
        guard proofLines.count <= 63 else { return plain(.badRequest, "more than 63 consistency proof lines\n") }
        var proof: [[UInt8]] = []
        for line in proofLines {
            guard let hash = Data(base64Encoded: String(line)), hash.count == 32 else {
                return plain(.badRequest, "a consistency proof line is not a base64 32-byte hash\n")
            }
            proof.append(Array(hash))
        }
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(parsing: note) } catch {
            return plain(.badRequest, "not a checkpoint: \(error)\n")
        }
        let checkpoint = signed.checkpoint
        guard let keys = configuration.logs[checkpoint.origin] else {
            return plain(.notFound, "this witness does not witness the log '\(checkpoint.origin)'\n")
        }
        do { _ = try signed.verify(with: keys) } catch {
            return plain(.forbidden, "no valid signature by the log's key: \(error)\n")
        }
        guard old <= checkpoint.size else { return plain(.badRequest, "old size \(old) is above the checkpoint's \(checkpoint.size)\n") }
        return state.update(origin: checkpoint.origin) { latest -> (Response, WitnessState.Head?) in
            let stored = latest ?? WitnessState.Head(size: 0, root: MerkleHashing.emptyRoot)
            guard old == stored.size else {
                return (plain(.conflict, "\(stored.size)\n", contentType: "text/x.tlog.size"), nil)
            }
            if old == checkpoint.size {
                guard old == 0 || stored.root == checkpoint.root else {
                    return (plain(.conflict, "\(stored.size)\n", contentType: "text/x.tlog.size"), nil)
                }
            } else if old == 0 {
                guard proof.isEmpty else { return (plain(.unprocessableContent, "a proof from size 0 must be empty\n"), nil) }
            } else {
                do {
                    try MerkleProofVerifier.verifyConsistency(
                        size1: old, size2: checkpoint.size, root1: stored.root.bytes, root2: checkpoint.root.bytes, proof: proof)
                } catch {
                    return (plain(.unprocessableContent, "the consistency proof from \(old) does not verify: \(error)\n"), nil)
                }
            }
            do {
                let line = try configuration.key.cosign(body: signed.note.text, timestamp: UInt64(Date().timeIntervalSince1970))
                return (plain(.ok, line), WitnessState.Head(size: checkpoint.size, root: checkpoint.root))
            } catch {
                return (plain(.internalServerError, "cannot sign: \(error)\n"), nil)
            }
        }
    }
}

/// The latest cosigned tree head of each log, in a JSON file replaced atomically (written,
/// synced, renamed) before a cosignature is answered; checked and updated under one lock, so
/// two requests can never roll a log back.
final class WitnessState: @unchecked Sendable {  // guarded by `lock`
    struct Head: Sendable, Equatable {
        var size: UInt64
        var root: SHA256Digest
    }

    private let lock = NSLock()
    private let path: String
    private var heads: [String: Head] = [:]

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else { return }
        guard case .object(let logs) = try JSONParser.parse(Array(data)) else {
            throw LedgerError(.badInput, "witness state \(path) is not a JSON object")
        }
        for (origin, value) in logs {
            guard let size = value["size"]?.integerValue, let rootText = value["root"]?.stringValue,
                let root = Data(base64Encoded: rootText), let digest = SHA256Digest(bytes: Array(root))
            else { throw LedgerError(.badInput, "witness state \(path): the entry of '\(origin)' is malformed") }
            heads[origin] = Head(size: UInt64(size), root: digest)
        }
    }

    /// Runs `decide` on the origin's head; when it returns a new head, persists it first.
    func update(origin: String, _ decide: (Head?) -> (Response, Head?)) -> Response {
        lock.lock()
        defer { lock.unlock() }
        let (response, new) = decide(heads[origin])
        guard let new else { return response }
        var next = heads
        next[origin] = new
        do { try persist(next) } catch {
            return WitnessServer.plain(.internalServerError, "cannot persist the witness state: \(error)\n")
        }
        heads = next
        return response
    }

    private func persist(_ heads: [String: Head]) throws {
        let object = JSONValue.object(
            heads.mapValues { ["size": .number(Double($0.size)), "root": .string($0.root.base64)] })
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw LedgerError(.storage, "cannot write \(temporary)") }
        let bytes = CanonicalJSON.bytes(of: object)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            throw LedgerError(.storage, "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}
