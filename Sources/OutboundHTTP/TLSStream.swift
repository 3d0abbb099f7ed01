import CTLS

/// TLS over a `TCPSocket`. OpenSSL reads and writes memory buffers; this moves their bytes
/// to and from the socket, so every wait keeps the exchange's deadline and no write raises
/// SIGPIPE. The handshake verifies the certificate for `host` (a DNS name, or an IP address
/// against the certificate's IP addresses).
final class TLSStream: ByteStream {
    private let socket: TCPSocket
    private let ssl: OpaquePointer
    private let input: OpaquePointer
    private let output: OpaquePointer
    private let host: String
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)
    private var peerClosed = false

    init(over socket: TCPSocket, host: String, context: TLSContext, deadline: Deadline) throws {
        guard let ssl = SSL_new(context.context), let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            throw OutboundFailure(.tls, "cannot start TLS with \(deadline.peer): \(TLSContext.lastError())")
        }
        self.socket = socket
        self.ssl = ssl
        self.input = input
        self.output = output
        self.host = host
        genledger_tls_input_open(input)
        SSL_set_bio(ssl, input, output)  // the SSL owns both BIOs from here
        let isAddress = host.contains(":") || host.split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
        if isAddress {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                throw OutboundFailure(.tls, "cannot verify a certificate for the address \(host)")
            }
        } else {
            guard SSL_set1_host(ssl, host) == 1, genledger_tls_set_server_name(ssl, host) == 1 else {
                throw OutboundFailure(.tls, "cannot verify a certificate for the host \(host)")
            }
        }
        SSL_set_connect_state(ssl)
        _ = try drive(deadline: deadline) { SSL_do_handshake(ssl) }
    }

    deinit { SSL_free(ssl) }

    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int {
        try drive(deadline: deadline) { SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count)) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try drive(deadline: deadline) {
                SSL_write(ssl, bytes.baseAddress! + offset, Int32(clamping: bytes.count - offset))
            }
        }
    }

    /// Runs one OpenSSL call until it makes progress: sends what it wrote, feeds it what the
    /// socket reads when it wants more. Returns its positive result, or 0 at a clean end.
    private func drive(deadline: Deadline, _ call: () -> Int32) throws -> Int {
        while true {
            ERR_clear_error()
            let result = call()
            let error = SSL_get_error(ssl, result)
            try flush(deadline: deadline)
            if result > 0 { return Int(result) }
            switch error {
            case SSL_ERROR_WANT_READ:
                guard !peerClosed else {
                    throw OutboundFailure(.malformedAnswer, "\(deadline.peer) closed the connection in the middle of a TLS record")
                }
                let count = try scratch.withUnsafeMutableBytes { try socket.read(into: $0, deadline: deadline) }
                if count == 0 {
                    peerClosed = true
                    genledger_tls_input_ended(input)
                } else {
                    _ = scratch.withUnsafeBytes { BIO_write(input, $0.baseAddress, Int32(count)) }
                }
            case SSL_ERROR_WANT_WRITE:
                continue
            case SSL_ERROR_ZERO_RETURN:
                return 0
            default:
                throw failure(deadline: deadline)
            }
        }
    }

    private func flush(deadline: Deadline) throws {
        while BIO_ctrl_pending(output) > 0 {
            let count = scratch.withUnsafeMutableBytes { BIO_read(output, $0.baseAddress, Int32($0.count)) }
            guard count > 0 else { return }
            try scratch.withUnsafeBytes { try socket.write(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(count))), deadline: deadline) }
        }
    }

    private func failure(deadline: Deadline) -> OutboundFailure {
        let verification = SSL_get_verify_result(ssl)
        if verification != X509_V_OK {
            let reason = String(cString: X509_verify_cert_error_string(verification))
            return OutboundFailure(.tls, "TLS with \(deadline.peer): its certificate does not verify for \(host): \(reason)")
        }
        return OutboundFailure(.tls, "TLS with \(deadline.peer) failed: \(TLSContext.lastError())")
    }
}
