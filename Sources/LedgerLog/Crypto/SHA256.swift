import COpenSSL

/// SHA-256 through OpenSSL's libcrypto. One instance reuses one digest context, so a loop that
/// hashes millions of short inputs allocates nothing per hash. Not for sharing across threads.
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        guard let context = genledger_sha256_new() else {
            // Only an OpenSSL without SHA-256 or out of memory gets here; nothing can go on.
            fatalError("OpenSSL could not provide SHA-256: \(OpenSSLError.lastMessage())")
        }
        self.context = context
    }

    deinit { genledger_md_ctx_free(context) }

    public func hash(_ bytes: some ContiguousBytesView) -> SHA256Digest {
        start()
        bytes.withBytes { update($0) }
        return finish()
    }

    /// SHA-256 of the concatenation of several byte runs.
    public func hash(_ parts: UnsafeRawBufferPointer...) -> SHA256Digest {
        start()
        for part in parts { update(part) }
        return finish()
    }

    public func start() {
        precondition(genledger_sha256_reset(context) == 1, "SHA-256 reset failed")
    }

    public func update(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        precondition(genledger_sha256_update(context, raw.baseAddress, raw.count) == 1, "SHA-256 update failed")
    }

    public func update(_ byte: UInt8) {
        withUnsafeBytes(of: byte) { update($0) }
    }

    public func update(_ digest: SHA256Digest) {
        digest.withUnsafeBytes { update($0) }
    }

    public func finish() -> SHA256Digest {
        var out = SHA256Digest.zero
        let ok = withUnsafeMutableBytes(of: &out) { genledger_sha256_final(context, $0.baseAddress) }
        precondition(ok == 1, "SHA-256 final failed")
        return out
    }

    /// One-off hashing where no hasher is at hand.
    public static func hash(_ bytes: some ContiguousBytesView) -> SHA256Digest {
        SHA256().hash(bytes)
    }
}

/// Byte containers that can lend their storage contiguously.
public protocol ContiguousBytesView {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesView where Element == UInt8 {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension String: ContiguousBytesView {
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

enum OpenSSLError {
    static func lastMessage() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        genledger_openssl_last_error(&buffer, buffer.count)
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return message.isEmpty ? "unknown OpenSSL error" : message
    }
}
