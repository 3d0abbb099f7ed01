public import Foundation
import Governance
import LedgerLog

/// `genledger serve --webhooks FILE` (docs/WEBHOOKS.md): the providers whose signed deliveries
/// `POST /v1/webhooks/{provider}` accepts, and the URLs that are notified of denials waiting
/// for approval and of violations. Secrets come from the environment (`secret_env`) or, for a
/// file kept private, inline (`secret`).
public struct WebhookConfiguration: Sendable {
    /// How a provider's delivery body becomes events.
    public enum Format: String, CaseIterable, Sendable {
        /// A Replicate prediction object (`id`, `status`, `output`, `error`, `metrics.predict_time`).
        case replicate
        /// A GenLedger append batch, as `POST /v1/events` takes it (a relay that speaks the vocabulary).
        case events
    }

    public struct Provider: Sendable {
        public var name: String
        public var format: Format
        var secret: StandardWebhooks.Secret
        var output: OutputDigest.Limits
    }

    /// What a notification is sent for.
    public enum Notice: String, CaseIterable, Sendable {
        /// A request denied under a `require-approval` rule: an approver can lift it.
        case approvalNeeded = "approval-needed"
        /// A fact recorded with a violation in its gate record.
        case violation
    }

    public struct Receiver: Sendable {
        public var url: URL
        var secret: StandardWebhooks.Secret
        public var notices: Set<Notice>
    }

    public var providers: [String: Provider] = [:]
    public var receivers: [Receiver] = []

    public init() {}

    /// Reads the YAML file at `path`; `environment` supplies `secret_env` values.
    public init(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            var failure = GovernanceError(.invalidPolicy, "cannot read the webhooks file: \(error.localizedDescription)")
            failure.file = path
            throw failure
        }
        let document = try PolicyDocument(yaml: text, file: path)
        self = try document.read { f in
            try f.rejectUnknown(["incoming", "outgoing"])
            var configuration = WebhookConfiguration()
            if let incoming = try f.optionalObject("incoming") {
                for name in incoming.members.keys.sorted() {
                    let entry = try incoming.object(name)
                    try entry.rejectUnknown([
                        "format", "secret", "secret_env", "output_hosts", "max_output_bytes", "output_timeout_seconds",
                    ])
                    guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                        throw incoming.error(name, "a provider's name is letters, digits, - and _ (it is a URL path part)")
                    }
                    let format: Format = try entry.choice("format")
                    configuration.providers[name] = Provider(
                        name: name, format: format, secret: try Self.secret(entry, environment),
                        output: OutputDigest.Limits(
                            hosts: try entry.optionalStrings("output_hosts").nilIfEmpty
                                ?? (format == .replicate ? ["replicate.delivery", "*.replicate.delivery"] : []),
                            maxBytes: Int(try entry.optionalInt("max_output_bytes", min: 1) ?? 1 << 30),
                            timeout: try entry.optionalNumber("output_timeout_seconds", min: 1) ?? 120))
                }
            }
            configuration.receivers = try f.optionalObjects("outgoing").map { entry in
                try entry.rejectUnknown(["url", "secret", "secret_env", "notify"])
                let text = try entry.string("url")
                guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
                else { throw entry.error("url", "'\(text)' is not an http(s) URL") }
                let notices = try entry.optionalStrings("notify").map { name in
                    guard let notice = Notice(rawValue: name) else {
                        throw entry.error("notify", "'\(name)' is not one of: \(Notice.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return notice
                }
                return Receiver(
                    url: url, secret: try Self.secret(entry, environment),
                    notices: notices.isEmpty ? Set(Notice.allCases) : Set(notices))
            }
            return configuration
        }
    }

    private static func secret(_ f: Fields, _ environment: [String: String]) throws -> StandardWebhooks.Secret {
        let text: String
        if let name = try f.optionalString("secret_env") {
            guard let value = environment[name], !value.isEmpty else {
                throw f.error("secret_env", "the environment variable \(name) is not set")
            }
            text = value
        } else if let value = try f.optionalString("secret") {
            text = value
        } else {
            throw f.error("secret_env", "required (or secret): the Standard Webhooks secret, whsec_…")
        }
        do { return try StandardWebhooks.Secret(text) } catch let refusal as StandardWebhooks.WebhookRefusal {
            throw f.error(f.has("secret_env") ? "secret_env" : "secret", refusal.description)
        }
    }
}

extension Array {
    fileprivate var nilIfEmpty: Self? { isEmpty ? nil : self }
}
