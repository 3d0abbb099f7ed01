import CTLS

/// OpenSSL's client configuration, made once per client: TLS 1.2 or later, the peer's
/// certificate verified against the system's trust store (OpenSSL's default paths, which honour
/// `SSL_CERT_FILE` and `SSL_CERT_DIR`) or against one PEM file of trusted certificates.
final class TLSContext: @unchecked Sendable {
    // SSL_CTX is safe to share between threads once configured; it is never changed after init.
    let context: OpaquePointer

    init(trustedCertificates: String?) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw OutboundFailure(.tls, "cannot create a TLS context: \(TLSContext.lastError())")
        }
        self.context = context
        guard genledger_tls_require_1_2(context) == 1 else {
            throw OutboundFailure(.tls, "cannot require TLS 1.2: \(TLSContext.lastError())")
        }
        genledger_tls_accept_unclean_close(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let trustedCertificates {
            guard SSL_CTX_load_verify_locations(context, trustedCertificates, nil) == 1 else {
                throw OutboundFailure(.tls, "cannot read trusted certificates from \(trustedCertificates): \(TLSContext.lastError())")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw OutboundFailure(.tls, "cannot read the system's trusted certificates: \(TLSContext.lastError())")
            }
        }
    }

    deinit { SSL_CTX_free(context) }

    /// The oldest error on this thread's OpenSSL error queue, as text; the queue is emptied.
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail from OpenSSL" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
