import Foundation
import Governance
public import Hummingbird
import LedgerLog

/// The request context: who is calling (set by `Authentication`).
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    var token: ServiceToken?
    /// The web session the request came with (pages only; API calls use a bearer header).
    var session: WebSessions.Session?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The caller, who must hold one of `roles`; 403 otherwise (naming no more than the role needed).
    func require(_ roles: Set<ServiceRole>) throws -> ServiceToken {
        guard let token else { throw APIError.unauthenticated }
        guard roles.contains(token.role) else {
            throw APIError(.forbidden, "forbidden", "this token's role may not do this")
        }
        return token
    }
}

/// Who may call what (docs/API.md): the matrix the tests walk.
enum Access {
    static let read: Set<ServiceRole> = [.writer, .approver, .auditor, .admin]
    static let write: Set<ServiceRole> = [.writer, .admin]
    static let approve: Set<ServiceRole> = [.approver]
    static let operate: Set<ServiceRole> = [.auditor, .admin]
    /// Importing history: it records actors as given and denies nothing.
    static let administer: Set<ServiceRole> = [.admin]
}

/// An answer other than success, with the JSON body every error has:
/// `{"error": {"status", "code", "message", ...where it is at fault}}`.
struct APIError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var details: [String: JSONValue] = [:]
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    static let unauthenticated: APIError = {
        var error = APIError(.unauthorized, "unauthenticated", "a valid bearer token is required")
        error.headers[.wwwAuthenticate] = "Bearer realm=\"genledger\""
        return error
    }()

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(
            .unprocessableContent, LedgerError.Code.badInput.rawValue, message,
            details: field.map { ["field": .string($0)] } ?? [:])
    }

    var json: JSONValue {
        var object = details
        object["status"] = .number(Double(status.code))
        object["code"] = .string(code)
        object["message"] = .string(message)
        return ["error": .object(object)]
    }

    var response: Response {
        var response = Response.json(json, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    /// Maps the library's errors to HTTP: bad input 422, conflicts 409, denials 403 (naming the
    /// policy, version and rule), anything unexpected 500 without internals.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as LedgerError:
            var details: [String: JSONValue] = [:]
            if let field = error.field { details["field"] = .string(field) }
            if let index = error.index { details["index"] = .number(Double(index)) }
            if let seq = error.seq { details["seq"] = .number(Double(seq)) }
            if let line = error.line { details["line"] = .number(Double(line)) }
            let message = error.message  // where it is at fault is in the details
            switch error.code {
            case .badInput: self.init(.unprocessableContent, error.code.rawValue, message, details: details)
            case .conflict: self.init(.conflict, error.code.rawValue, message, details: details)
            case .alreadyExists: self.init(.conflict, error.code.rawValue, message, details: details)
            case .unavailable:
                // Nothing was written; the client may retry once the database is back.
                var unavailable = APIError(.serviceUnavailable, error.code.rawValue, message, details: details)
                unavailable.headers[.retryAfter] = "1"
                self = unavailable
            default: self.init(.internalServerError, error.code.rawValue, message, details: details)
            }
        case let error as GovernanceError:
            var details: [String: JSONValue] = [:]
            if let field = error.field { details["field"] = .string(field) }
            if let index = error.index { details["index"] = .number(Double(index)) }
            if let type = error.eventType { details["type"] = .string(type) }
            if let line = error.line { details["line"] = .number(Double(line)) }
            if let file = error.file { details["file"] = .string(file) }
            if let rule = error.rule {
                details["policy"] = .string(rule.policy)
                details["version"] = .number(Double(rule.version))
                details["rule"] = .string(rule.rule)
            }
            if let seq = error.deniedSeq { details["denied_seq"] = .number(Double(seq)) }
            if !error.findings.isEmpty { details["findings"] = .array(error.findings.map(\.json)) }
            switch error.code {
            case .denied: self.init(.forbidden, "policy-denied", error.message, details: details)
            case .noRoute: self.init(.unprocessableContent, error.code.rawValue, error.message, details: details)
            default: self.init(.unprocessableContent, error.code.rawValue, error.message, details: details)
            }
        case let error as PolicyFolderError:
            self.init(
                .unprocessableContent, GovernanceError.Code.invalidPolicy.rawValue,
                error.errors.map(\.description).joined(separator: "; "))
        case let error as HTTPError:
            self.init(error.status, "http", error.body ?? error.status.reasonPhrase)
        default:
            self.init(.internalServerError, "internal", "the server failed to answer; its log says why")
        }
    }
}

extension Response {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: CanonicalJSON.bytes(of: value))))
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
