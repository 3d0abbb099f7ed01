#ifndef GENLEDGER_COPENSSL_SHIM_H
#define GENLEDGER_COPENSSL_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

// Buffers are void * so Swift passes raw pointers without rebinding (as swift-crypto does).

// SHA-256 through a digest fetched once: EVP_sha256() would re-fetch the implementation on
// every call, which dominates the cost of hashing the short inputs a ledger hashes.
static inline const EVP_MD *genledger_sha256_md(void) {
    static const EVP_MD *md = NULL;
    const EVP_MD *current = __atomic_load_n(&md, __ATOMIC_ACQUIRE);
    if (current == NULL) {
        EVP_MD *fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
        const EVP_MD *expected = NULL;
        if (!__atomic_compare_exchange_n(&md, &expected, fetched, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            EVP_MD_free(fetched);
            return expected;
        }
        return fetched;
    }
    return current;
}

static inline EVP_MD_CTX *genledger_sha256_new(void) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestInit_ex(ctx, genledger_sha256_md(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static inline int genledger_sha256_reset(EVP_MD_CTX *ctx) {
    return EVP_DigestInit_ex(ctx, NULL, NULL);
}

static inline int genledger_sha256_update(EVP_MD_CTX *ctx, const void *data, size_t count) {
    return EVP_DigestUpdate(ctx, data, count);
}

static inline int genledger_sha256_final(EVP_MD_CTX *ctx, void *out32) {
    unsigned int length = 0;
    return EVP_DigestFinal_ex(ctx, (unsigned char *)out32, &length) == 1 && length == 32;
}

static inline void genledger_md_ctx_free(EVP_MD_CTX *ctx) { EVP_MD_CTX_free(ctx); }

static inline int genledger_ed25519_sign(const void *seed32, const void *message, size_t count, void *signature64) {
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, (const unsigned char *)seed32, 32);
    if (key == NULL) return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t length = 64;
    int ok = ctx != NULL
        && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1
        && EVP_DigestSign(ctx, (unsigned char *)signature64, &length, (const unsigned char *)message, count) == 1
        && length == 64;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

static inline int genledger_ed25519_public_key(const void *seed32, void *public32) {
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, (const unsigned char *)seed32, 32);
    if (key == NULL) return 0;
    size_t length = 32;
    int ok = EVP_PKEY_get_raw_public_key(key, (unsigned char *)public32, &length) == 1 && length == 32;
    EVP_PKEY_free(key);
    return ok;
}

/// 1 when the signature is valid, 0 when it is not, -1 when the key itself is unusable.
static inline int genledger_ed25519_verify(const void *public32, const void *message, size_t count, const void *signature64) {
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, (const unsigned char *)public32, 32);
    if (key == NULL) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int result = -1;
    if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1) {
        result = EVP_DigestVerify(ctx, (const unsigned char *)signature64, 64, (const unsigned char *)message, count) == 1 ? 1 : 0;
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return result;
}

// HMAC-SHA256 (RFC 2104) in one call: Standard Webhooks signatures.
static inline int genledger_hmac_sha256(const void *key, size_t keyCount, const void *data, size_t count, void *out32) {
    size_t written = 0;
    unsigned char *result = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keyCount, data, count, out32, 32, &written);
    return result != NULL && written == 32;
}

// Equal in time independent of where the buffers differ.
static inline int genledger_constant_time_equal(const void *a, const void *b, size_t count) {
    return CRYPTO_memcmp(a, b, count) == 0;
}

static inline int genledger_random_bytes(void *out, int count) {
    return RAND_bytes((unsigned char *)out, count);
}

static inline void genledger_secure_zero(void *buffer, size_t count) {
    OPENSSL_cleanse(buffer, count);
}

/// The oldest queued OpenSSL error as text, for a Swift error message; empties the queue.
static inline void genledger_openssl_last_error(char *buffer, size_t count) {
    unsigned long code = ERR_get_error();
    if (code == 0) { if (count > 0) buffer[0] = 0; return; }
    ERR_error_string_n(code, buffer, count);
    ERR_clear_error();
}

#endif
