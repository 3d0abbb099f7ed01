import Foundation
import LedgerLog

/// Standard Webhooks (standardwebhooks.com, the specification's "Verifying webhooks"): a
/// delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
/// (space-separated `v1,BASE64` signatures); each is HMAC-SHA256 over `ID.TIMESTAMP.BODY` with
/// the secret's bytes (`whsec_` + base64). Used for provider deliveries in and notifications out.
enum StandardWebhooks {
    /// How far a delivery's timestamp may be from the server's clock, either way (the
    /// specification's recommended five minutes).
    static let tolerance: Int64 = 300

    struct Secret: Sendable {
        let key: [UInt8]

        /// `whsec_BASE64` (the prefix is optional, as in the reference implementations).
        init(_ text: String) throws {
            let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst(6)) : text
            guard let data = Data(base64Encoded: encoded), data.count >= 16 else {
                throw WebhookRefusal("the secret is not whsec_ followed by base64 of at least 16 bytes")
            }
            key = Array(data)
        }
    }

    /// Why a delivery was refused (answered 401, nothing appended).
    struct WebhookRefusal: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func signature(id: String, timestamp: Int64, body: [UInt8], secret: Secret) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Data(HMACSHA256.authenticationCode(key: secret.key, message: signed)).base64EncodedString()
    }

    /// Checks a delivery's headers and body against `secret` at `now` (Unix seconds).
    static func verify(id: String?, timestamp: String?, signatures: String?, body: [UInt8], secret: Secret, now: Int64)
        throws
    {
        guard let id, !id.isEmpty, let timestamp, let signatures else {
            throw WebhookRefusal("unsigned: webhook-id, webhook-timestamp and webhook-signature are required")
        }
        guard let sent = Int64(timestamp) else { throw WebhookRefusal("webhook-timestamp is not Unix seconds") }
        guard abs(now - sent) <= tolerance else {
            throw WebhookRefusal("webhook-timestamp is \(now - sent) s from the server's clock (more than \(tolerance) s)")
        }
        let expected = Array(signature(id: id, timestamp: sent, body: body, secret: secret).dropFirst(3).utf8)
        for candidate in signatures.split(separator: " ") {
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1" else { continue }
            if HMACSHA256.constantTimeEqual(Array(parts[1].utf8), expected) { return }
        }
        throw WebhookRefusal("no v1 signature in webhook-signature matches the body under this provider's secret")
    }
}
