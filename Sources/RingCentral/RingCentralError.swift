import CurlHTTP
import RinglogSupport

/// RingCentral's error body (`ApiErrorResponseModel`, plus the OAuth `error` field on token calls).
/// Branch on `errorCode`, never on `message` (RingCentral may reword or localise it).
public struct APIErrorBody: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var errorCode: String?
        public var message: String?
        public var parameterName: String?
    }

    public var errorCode: String?
    public var message: String?
    /// RFC 6749 code on OAuth errors (`invalid_grant`, `invalid_client`, ...).
    public var oauthError: String?
    public var errors: [Entry]

    /// Parses what it can; a body that is not RingCentral's shape gives nil.
    public init?(bytes: [UInt8]) {
        guard let json = try? JSON.parse(bytes), json.objectValue != nil else { return nil }
        errorCode = json["errorCode"]?.stringValue
        message = json["message"]?.stringValue ?? json["error_description"]?.stringValue
        oauthError = json["error"]?.stringValue
        errors = (json["errors"]?.arrayValue ?? []).map {
            Entry(errorCode: $0["errorCode"]?.stringValue, message: $0["message"]?.stringValue,
                  parameterName: $0["parameterName"]?.stringValue)
        }
        if errorCode == nil, message == nil, oauthError == nil, errors.isEmpty { return nil }
    }

    public var codes: [String] { ([errorCode] + errors.map(\.errorCode)).compactMap { $0 } }

    public var summary: String {
        let code = codes.first ?? oauthError ?? "no code"
        let text = message ?? errors.first?.message ?? ""
        return text.isEmpty ? code : "\(code): \(text)"
    }
}

public enum RingCentralError: Error, Sendable, CustomStringConvertible {
    /// Nothing usable came back, and retrying did not help.
    case transport(TransportError, attempts: Int)
    /// The server answered with an error status (other than the cases below).
    case http(status: Int, body: APIErrorBody?, endpoint: String)
    /// A sync token was refused (CLG-101..105 "sync token expired", "max sync record number limit is
    /// exceeded", MSG-333 "full synchronization is required"): the caller must start over with FSync.
    case syncTokenRejected(body: APIErrorBody?, endpoint: String)
    /// Login failed (bad client id/secret, bad or expired JWT, app not allowed the JWT grant).
    case authenticationFailed(status: Int, body: APIErrorBody?)
    /// Retryable server errors (5xx, 408) or 429s persisted beyond the retry budget.
    case retriesExhausted(status: Int, attempts: Int, endpoint: String)
    /// A 2xx response whose body does not match the documented shape.
    case invalidResponse(endpoint: String, reason: String)
    /// A URL to be fetched with our bearer token points at a host that is not RingCentral's.
    case untrustedURL(String)

    public var description: String {
        switch self {
        case .transport(let error, let attempts): "\(error) (after \(attempts) attempt(s))"
        case .http(let status, let body, let endpoint): "HTTP \(status) from \(endpoint)" + (body.map { ": \($0.summary)" } ?? "")
        case .syncTokenRejected(let body, let endpoint):
            "sync token rejected by \(endpoint)" + (body.map { ": \($0.summary)" } ?? "") + "; a full sync (FSync) is needed"
        case .authenticationFailed(let status, let body):
            "login failed (HTTP \(status))" + (body.map { ": \($0.summary)" } ?? "")
                + "; check RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET and RC_USER_JWT"
        case .retriesExhausted(let status, let attempts, let endpoint): "HTTP \(status) from \(endpoint) persisted after \(attempts) attempts"
        case .invalidResponse(let endpoint, let reason): "unexpected response from \(endpoint): \(reason)"
        case .untrustedURL(let url): "refusing to send credentials to \(url): not on the RingCentral server's domain"
        }
    }

    /// True when the error says the sync token is no longer usable.
    static func isSyncTokenRejection(status: Int, body: APIErrorBody?) -> Bool {
        guard status == 400, let body else { return false }
        let codes = Set(body.codes)
        if codes.contains(where: { ["CLG-101", "CLG-102", "CLG-103", "CLG-104", "CLG-105", "MSG-333"].contains($0) }) { return true }
        return body.errors.contains { $0.parameterName == "syncToken" }
    }
}
