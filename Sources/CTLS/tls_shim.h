#ifndef GENLEDGER_CTLS_SHIM_H
#define GENLEDGER_CTLS_SHIM_H

// OpenSSL's libssl for the outbound HTTP client: the few calls that are macros in the headers
// are wrapped here so Swift can call them.

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

static inline int genledger_tls_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline int genledger_tls_require_1_2(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

// A peer that closes without close_notify ends the stream like a close (the HTTP framing, a
// Content-Length or chunked encoding, still detects a truncated answer).
static inline void genledger_tls_accept_unclean_close(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

// Memory BIOs carry the TLS records; the socket I/O (deadlines, no SIGPIPE) stays in Swift.
// An empty input BIO after the peer closed reads as end of stream instead of "try again".
static inline void genledger_tls_input_ended(BIO *input) {
    BIO_set_mem_eof_return(input, 0);
}

static inline void genledger_tls_input_open(BIO *input) {
    BIO_set_mem_eof_return(input, -1);
}

#endif
