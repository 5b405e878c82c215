import CurlHTTP
import RinglogSupport

/// RingCentral's error body (`ApiErrorResponseModel`, plus the OAuth `error` field on token calls).
/// Branch on `errorCode`, never on `message` (RingCentral may reword or localise it).
public struct APIErrorBody: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var errorCode: String?
        public var message: String?
        public var parameterName: String?
        /// `permissionName` of a permission error (CMN-401, CMN-408).
        public var permissionName: String?
        /// `parameters[].parameterName` of an OAuth error (OAU-153 names `client_id`).
        public var parameterNames: [String] = []
    }

    public var errorCode: String?
    public var message: String?
    /// RFC 6749 code on OAuth errors (`invalid_grant`, `invalid_client`, ...).
    public var oauthError: String?
    /// Top-level `permissionName` (the `InsufficientPermissions` shape of RingCentral's guide).
    public var permissionName: String?
    public var errors: [Entry]

    /// Parses what it can; a body that is not RingCentral's shape gives nil. Every field is optional:
    /// RingCentral sends `errors[]` alone, top-level `errorCode`/`message` (a code such as `CMN-401` or a
    /// word such as `InsufficientPermissions`) with `permissionName`, or OAuth's `error`/`error_description`
    /// with or without `errors[]`.
    public init?(bytes: [UInt8]) {
        guard let json = try? JSON.parse(bytes), json.objectValue != nil else { return nil }
        errorCode = json["errorCode"]?.stringValue
        message = json["message"]?.stringValue ?? json["error_description"]?.stringValue
        oauthError = json["error"]?.stringValue
        permissionName = json["permissionName"]?.stringValue
        errors = (json["errors"]?.arrayValue ?? []).map { entry in
            Entry(errorCode: entry["errorCode"]?.stringValue, message: entry["message"]?.stringValue,
                  parameterName: entry["parameterName"]?.stringValue, permissionName: entry["permissionName"]?.stringValue,
                  parameterNames: (entry["parameters"]?.arrayValue ?? []).compactMap { $0["parameterName"]?.stringValue })
        }
        if errorCode == nil, message == nil, oauthError == nil, errors.isEmpty { return nil }
    }

    public var codes: [String] { ([errorCode] + errors.map(\.errorCode)).compactMap { $0 } }

    /// The app permission the answer says is missing (`ReadCallRecording`, …), wherever it is given.
    public var missingPermission: String? {
        if let permissionName, !permissionName.isEmpty { return String(permissionName.prefix(80)) }
        if let named = errors.lazy.compactMap(\.permissionName).first(where: { !$0.isEmpty }) { return String(named.prefix(80)) }
        return nil
    }

    /// The answer is about `parameter` (`errors[].parameterName`, or the message naming `[parameter]`).
    public func names(parameter: String) -> Bool {
        if errors.contains(where: { $0.parameterName == parameter || $0.parameterNames.contains(parameter) }) { return true }
        return ([message] + errors.map(\.message)).contains { $0?.contains("[\(parameter)]") == true || $0?.contains(" \(parameter) ") == true }
    }

    /// "Attempt to access another extension": the user the JWT belongs to may not read that mailbox.
    public var isAnotherExtensionsData: Bool { codes.contains("CMN-404") }

    /// An OAuth error: an RFC 6749 `error` field, or a RingCentral `OAU-` code. Only such an answer
    /// from the token endpoint is about the credentials.
    public var isOAuthError: Bool { oauthError != nil || codes.contains { $0.hasPrefix("OAU-") } }

    /// Carries a RingCentral error code or an OAuth error (a bare `message`, as many web servers
    /// send, does not count).
    public var looksLikeRingCentral: Bool { isOAuthError || !codes.isEmpty }

    public var summary: String {
        let code = codes.first ?? oauthError ?? "no code"
        let text = message ?? errors.first?.message ?? ""
        return text.isEmpty ? code : "\(code): \(text)"
    }

    /// What the admin should check after a refused login, from the OAuth error (RFC 6749 §5.2 and
    /// RingCentral's OAU- codes): the app's credentials, the user's JWT, or the app's allowed grants.
    var loginAdvice: String {
        let named = errors.flatMap(\.parameterNames)
        switch oauthError {
        case "invalid_client":
            return "check the app's client id and client secret" + (named.isEmpty ? "" : " (RingCentral names \(named.joined(separator: ", ")))")
        case "invalid_grant":
            return "check the user's JWT: it may be expired, revoked, mistyped, or made for another app or environment"
        case "unauthorized_client", "unsupported_grant_type":
            return "the app may not use the JWT grant: enable the JWT auth flow in the app's settings in the RingCentral Developer Console"
        default:
            if codes.contains("OAU-105") {
                return "the JWT belongs to an extension that may not log in (RingCentral refuses its type): use the JWT of a user"
            }
            if codes.contains(where: { ["OAU-112", "OAU-125"].contains($0) }) {
                return "the app may not use the JWT grant: enable the JWT auth flow in the app's settings in the RingCentral Developer Console"
            }
            return "check the app's client id and client secret and the user's JWT"
        }
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
    /// Login failed: the token endpoint answered 400/401 with an OAuth error (bad client id/secret, bad
    /// or expired JWT, app not allowed the JWT grant). `server` and `source` (where the credentials
    /// came from, see `RingCentralCredentials.source`) name what the admin should check.
    case authenticationFailed(status: Int, body: APIErrorBody?, server: String = "", source: String? = nil)
    /// The server at `server` answered the token endpoint in a way RingCentral never does (404, an
    /// HTML page, non-JSON, no access token): the server URL is wrong, not the credentials.
    case notRingCentral(server: String, status: Int, endpoint: String, detail: String?)
    /// RingCentral asked for a wait (`Retry-After`, or a rate-limit window) longer than the governor
    /// sits out: the group's work stops for this run, and nothing more is sent in it.
    case penaltyTooLong(group: RateLimitGroup, seconds: Double, endpoint: String)
    /// Retryable server errors (5xx, 408) or 429s persisted beyond the retry budget.
    case retriesExhausted(status: Int, attempts: Int, endpoint: String)
    /// A 2xx response whose body does not match the documented shape.
    case invalidResponse(endpoint: String, reason: String)
    /// A URL to be fetched with our bearer token points at a host that is not RingCentral's.
    case untrustedURL(String)

    public var description: String {
        switch self {
        case .transport(let error, let attempts): "\(error) (after \(attempts) attempt(s))"
        case .http(let status, let body, let endpoint):
            "HTTP \(status) from \(endpoint)" + (body.map { ": \($0.summary)" } ?? "") + (body.map(RingCentralError.advice) ?? "")
        case .syncTokenRejected(let body, let endpoint):
            "sync token rejected by \(endpoint)" + (body.map { ": \($0.summary)" } ?? "") + "; a full sync (FSync) is needed"
        case .authenticationFailed(let status, let body, let server, let source):
            "login failed: RingCentral" + (server.isEmpty ? "" : " at \(server)") + " refused the credentials"
                + (source.map { " from \($0)" } ?? "") + " (HTTP \(status)" + (body.map { ", \($0.summary)" } ?? "") + ")"
                + "; " + (body?.loginAdvice ?? "check the app's client id and client secret and the user's JWT") + (source == nil ? "" : " there")
        case .notRingCentral(let server, let status, let endpoint, let detail):
            "\(server) does not look like a RingCentral API server (HTTP \(status) from \(endpoint)"
                + (detail.map { ", \($0)" } ?? "") + "); check the server URL"
        case .penaltyTooLong(let group, let seconds, let endpoint):
            "RingCentral asked ringlog to wait \(RingCentralError.describeWait(seconds)) before more "
                + "\(group.rawValue.prefix(1).uppercased() + group.rawValue.dropFirst()) requests (at \(endpoint)); "
                + "this run stops that work, the next scheduled run resumes"
        case .retriesExhausted(let status, let attempts, let endpoint): "HTTP \(status) from \(endpoint) persisted after \(attempts) attempts"
        case .invalidResponse(let endpoint, let reason): "unexpected response from \(endpoint): \(reason)"
        case .untrustedURL(let url): "refusing to send credentials to \(RingCentralError.shown(url)): not on the RingCentral server's domain"
        }
    }

    /// What to do about a refused request, when the body says: the permission to add, or the mailbox
    /// the JWT user may not read.
    static func advice(_ body: APIErrorBody) -> String {
        if let permission = body.missingPermission {
            return "; the app lacks the [\(permission)] permission: add it to the app in the RingCentral Developer Console (the app's Settings, App Permissions)"
        }
        if body.isAnotherExtensionsData {
            return "; the user the JWT belongs to may not read this extension's data: use an admin's JWT, or give the mailbox its own JWT in the tenant's secrets file (\"mailboxes\")"
        }
        return ""
    }

    /// A URL a payload gave, as a message shows it: control characters escaped (a CR/LF in a hostile
    /// `contentUri` forged a line in `ringlog pending` and the logs; an ESC could drive the terminal), and
    /// at most 300 characters (a payload's 200,000-character URL was printed whole).
    static func shown(_ url: String) -> String {
        let limit = 300
        var text = ""
        for scalar in url.unicodeScalars.prefix(limit) {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                text += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return url.unicodeScalars.count > limit ? text + "…" : text
    }

    /// "N minutes" (rounded up), or "more than a year"; never traps on huge or odd values.
    static func describeWait(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 86_400 * 366 else { return "more than a year" }
        let minutes = ServerNumber.clampedInt((seconds / 60).rounded(.up), 0...Int.max)
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }

    /// True when the error says the sync token is no longer usable.
    static func isSyncTokenRejection(status: Int, body: APIErrorBody?) -> Bool {
        guard status == 400, let body else { return false }
        let codes = Set(body.codes)
        if codes.contains(where: { ["CLG-101", "CLG-102", "CLG-103", "CLG-104", "CLG-105", "MSG-333"].contains($0) }) { return true }
        return body.errors.contains { $0.parameterName == "syncToken" }
    }
}
