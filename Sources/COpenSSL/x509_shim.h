#ifndef GENLEDGER_COPENSSL_X509_SHIM_H
#define GENLEDGER_COPENSSL_X509_SHIM_H

// Signing keys and X.509 certificates for Content Credentials (C2PA): a studio's PEM key and
// certificate chain, COSE signatures in the raw form COSE wants (r || s for ECDSA), and a small
// test CA. Every function returns 0 (or NULL) on failure; genledger_openssl_last_error says why.

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

enum {
    GENLEDGER_KEY_UNSUPPORTED = 0,
    GENLEDGER_KEY_P256 = 1,
    GENLEDGER_KEY_P384 = 2,
    GENLEDGER_KEY_ED25519 = 3,
};

static inline EVP_PKEY *genledger_private_key_from_pem(const void *pem, size_t count) {
    BIO *bio = BIO_new_mem_buf(pem, (int)count);
    if (bio == NULL) return NULL;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return key;
}

static inline EVP_PKEY *genledger_public_key_from_der(const void *spki, size_t count) {
    const unsigned char *cursor = (const unsigned char *)spki;
    return d2i_PUBKEY(NULL, &cursor, (long)count);
}

/// The public key of a DER certificate, or NULL.
static inline EVP_PKEY *genledger_certificate_public_key(const void *der, size_t count) {
    const unsigned char *cursor = (const unsigned char *)der;
    X509 *certificate = d2i_X509(NULL, &cursor, (long)count);
    if (certificate == NULL) return NULL;
    EVP_PKEY *key = X509_get_pubkey(certificate);
    X509_free(certificate);
    return key;
}

static inline void genledger_pkey_free(EVP_PKEY *key) { EVP_PKEY_free(key); }

/// 1 when both hold the same public key.
static inline int genledger_pkey_same_public(const EVP_PKEY *a, const EVP_PKEY *b) { return EVP_PKEY_eq(a, b) == 1; }

static inline int genledger_pkey_kind(const EVP_PKEY *key) {
    if (EVP_PKEY_is_a(key, "ED25519")) return GENLEDGER_KEY_ED25519;
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {0};
        size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &length) != 1) return GENLEDGER_KEY_UNSUPPORTED;
        if (strcmp(group, "prime256v1") == 0) return GENLEDGER_KEY_P256;
        if (strcmp(group, "secp384r1") == 0) return GENLEDGER_KEY_P384;
    }
    return GENLEDGER_KEY_UNSUPPORTED;
}

/// Signs `message`: ECDSA with SHA-256 (P-256) or SHA-384 (P-384) written as r || s, each padded
/// to the curve's size (COSE, RFC 9053 §2.1), or Ed25519. `*written` gets the signature's length.
static inline int genledger_pkey_sign(EVP_PKEY *key, const void *message, size_t count, void *out, size_t capacity, size_t *written) {
    int kind = genledger_pkey_kind(key);
    if (kind == GENLEDGER_KEY_UNSUPPORTED) return 0;
    const EVP_MD *md = kind == GENLEDGER_KEY_P256 ? EVP_sha256() : kind == GENLEDGER_KEY_P384 ? EVP_sha384() : NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) return 0;
    unsigned char der[160];
    size_t length = sizeof der;
    int ok = EVP_DigestSignInit(ctx, NULL, md, NULL, key) == 1
        && EVP_DigestSign(ctx, der, &length, (const unsigned char *)message, count) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return 0;
    if (kind == GENLEDGER_KEY_ED25519) {
        if (length > capacity) return 0;
        memcpy(out, der, length);
        *written = length;
        return 1;
    }
    size_t half = kind == GENLEDGER_KEY_P256 ? 32 : 48;
    if (2 * half > capacity) return 0;
    const unsigned char *cursor = der;
    ECDSA_SIG *signature = d2i_ECDSA_SIG(NULL, &cursor, (long)length);
    if (signature == NULL) return 0;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(signature, &r, &s);
    ok = BN_bn2binpad(r, (unsigned char *)out, (int)half) == (int)half
        && BN_bn2binpad(s, (unsigned char *)out + half, (int)half) == (int)half;
    ECDSA_SIG_free(signature);
    *written = 2 * half;
    return ok;
}

/// 1 when `signature` (COSE form, as genledger_pkey_sign writes it) is valid, 0 when not.
static inline int genledger_pkey_verify(EVP_PKEY *key, const void *message, size_t count, const void *signature, size_t length) {
    int kind = genledger_pkey_kind(key);
    if (kind == GENLEDGER_KEY_UNSUPPORTED) return 0;
    unsigned char der[160];
    const unsigned char *checked = (const unsigned char *)signature;
    size_t checkedLength = length;
    const EVP_MD *md = NULL;
    if (kind != GENLEDGER_KEY_ED25519) {
        size_t half = kind == GENLEDGER_KEY_P256 ? 32 : 48;
        md = kind == GENLEDGER_KEY_P256 ? EVP_sha256() : EVP_sha384();
        if (length != 2 * half) return 0;
        ECDSA_SIG *parsed = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn((const unsigned char *)signature, (int)half, NULL);
        BIGNUM *s = BN_bin2bn((const unsigned char *)signature + half, (int)half, NULL);
        if (parsed == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(parsed, r, s) != 1) {
            ECDSA_SIG_free(parsed); BN_free(r); BN_free(s);
            return 0;
        }
        unsigned char *cursor = der;
        int encoded = i2d_ECDSA_SIG(parsed, &cursor);
        ECDSA_SIG_free(parsed);
        if (encoded <= 0 || (size_t)encoded > sizeof der) return 0;
        checked = der;
        checkedLength = (size_t)encoded;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1
        && EVP_DigestVerify(ctx, checked, checkedLength, (const unsigned char *)message, count) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static inline EVP_PKEY *genledger_generate_p256_key(void) { return EVP_EC_gen("P-256"); }

/// The PEM (PKCS#8) of a private key into `out`; returns the length, or the length needed when
/// `capacity` is too small, or 0 on failure.
static inline size_t genledger_private_key_pem(EVP_PKEY *key, char *out, size_t capacity) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) { BIO_free(bio); return 0; }
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    if (length > 0 && (size_t)length <= capacity) memcpy(out, data, (size_t)length);
    BIO_free(bio);
    return length > 0 ? (size_t)length : 0;
}

static inline int genledger_add_extension(X509 *certificate, X509V3_CTX *context, int nid, const char *value) {
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, context, nid, value);
    if (extension == NULL) return 0;
    int ok = X509_add_ext(certificate, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return ok;
}

/// A certificate for `subjectKey` named CN=`commonName`, O=`organization`, valid from a day ago
/// for `days` days, signed with SHA-256 by `issuerKey` as `issuerDER` (self-signed when NULL).
/// A CA gets basicConstraints CA:TRUE and keyCertSign; a signer gets CA:FALSE, digitalSignature
/// and the extended key uses in `extendedKeyUsage` (the C2PA certificate profile). Writes the DER
/// into `out`; returns its length (or the length needed), 0 on failure.
static inline size_t genledger_make_certificate(
    EVP_PKEY *subjectKey, EVP_PKEY *issuerKey, const void *issuerDER, size_t issuerCount,
    const char *commonName, const char *organization, int isCA, const char *extendedKeyUsage,
    long serial, long days, unsigned char *out, size_t capacity)
{
    X509 *issuer = NULL;
    if (issuerDER != NULL) {
        const unsigned char *cursor = (const unsigned char *)issuerDER;
        issuer = d2i_X509(NULL, &cursor, (long)issuerCount);
        if (issuer == NULL) return 0;
    }
    X509 *certificate = X509_new();
    size_t result = 0;
    if (certificate == NULL) goto done;
    X509_NAME *name = X509_get_subject_name(certificate);
    if (X509_set_version(certificate, 2) != 1
        || ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial) != 1
        || X509_gmtime_adj(X509_getm_notBefore(certificate), -86400) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(certificate), days * 86400) == NULL
        || X509_set_pubkey(certificate, subjectKey) != 1
        || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)commonName, -1, -1, 0) != 1
        || X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)organization, -1, -1, 0) != 1
        || X509_set_issuer_name(certificate, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1)
        goto done;
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer != NULL ? issuer : certificate, certificate, NULL, NULL, 0);
    if (!genledger_add_extension(certificate, &context, NID_basic_constraints, isCA ? "critical,CA:TRUE" : "critical,CA:FALSE")
        || !genledger_add_extension(certificate, &context, NID_key_usage, isCA ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature")
        || !genledger_add_extension(certificate, &context, NID_subject_key_identifier, "hash")
        || (issuer != NULL && !genledger_add_extension(certificate, &context, NID_authority_key_identifier, "keyid:always"))
        || (!isCA && extendedKeyUsage != NULL && !genledger_add_extension(certificate, &context, NID_ext_key_usage, extendedKeyUsage)))
        goto done;
    if (X509_sign(certificate, issuerKey, EVP_sha256()) <= 0) goto done;
    int length = i2d_X509(certificate, NULL);
    if (length <= 0) goto done;
    result = (size_t)length;
    if (result <= capacity) {
        unsigned char *cursor = out;
        i2d_X509(certificate, &cursor);
    }
done:
    X509_free(certificate);
    X509_free(issuer);
    return result;
}

#endif
