import RinglogSupport

/// One-shot error variants: `POST /__sim/next-error?kind=K[&count=N][&path=TEXT][&permission=NAME]`
/// makes the next N requests (default 1) whose path contains TEXT answer with variant K. TEXT defaults
/// to `/restapi/oauth/token` for the OAuth kinds and `/restapi/v1.0/` for the others; `kind=none`
/// clears what is queued. Injected answers still count against their rate-limit group.
public enum InjectedErrorKind: String, Sendable, CaseIterable {
    case invalidClient = "invalid-client"
    case invalidGrant = "invalid-grant"
    case appPermission = "app-permission"
    case userPermission = "user-permission"
    case anotherExtension = "another-extension"
    case rateLimitWithoutWindow = "rate-limit-without-window"
    case rateLimitBare = "rate-limit-bare"
    case tokenNotFound = "token-not-found"

    var defaultPath: String {
        switch self {
        case .invalidClient, .invalidGrant: "/restapi/oauth/token"
        default: "/restapi/v1.0/"
        }
    }
}

struct InjectedError {
    let kind: InjectedErrorKind
    var remaining: Int
    let pathContains: String
    let permission: String?
}

extension EngineState {
    mutating func queueInjectedError(_ request: SimRequest) -> SimResponse {
        guard let text = request.parameter("kind") else {
            return .apiError(400, code: "SIM-4", message: "next-error needs kind=" + (["none"] + InjectedErrorKind.allCases.map(\.rawValue)).joined(separator: "|"))
        }
        if text == "none" {
            injectedErrors = []
            return .json(200, ["queued": .array([])])
        }
        guard let kind = InjectedErrorKind(rawValue: text) else {
            return .apiError(400, code: "SIM-4", message: "unknown kind \(text); one of " + InjectedErrorKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let countText = request.parameter("count") ?? "1"
        guard let count = Int(countText), count >= 1 else { return .apiError(400, code: "SIM-4", message: "count must be a positive integer") }
        injectedErrors.append(InjectedError(kind: kind, remaining: count, pathContains: request.parameter("path") ?? kind.defaultPath,
                                            permission: request.parameter("permission")))
        return .json(200, ["queued": .array(injectedErrors.map { ["kind": .string($0.kind.rawValue), "remaining": .int($0.remaining), "path": .string($0.pathContains)] })])
    }

    /// The queued variant for this request, if any (used up by taking it).
    mutating func takeInjectedError(for request: SimRequest) -> InjectedError? {
        guard let position = injectedErrors.firstIndex(where: { request.path.contains($0.pathContains) }) else { return nil }
        let taken = injectedErrors[position]
        injectedErrors[position].remaining -= 1
        if injectedErrors[position].remaining == 0 { injectedErrors.remove(at: position) }
        faultCounts["injected:" + taken.kind.rawValue, default: 0] += 1
        return taken
    }

    /// The answer for an injected variant; `tokenValue` is the bearer token presented, if any.
    mutating func response(for injected: InjectedError, request: SimRequest, tokenValue: String?) -> SimResponse {
        switch injected.kind {
        case .invalidClient: return .invalidClient(clientId: basicClientId(request) ?? "")
        case .invalidGrant: return .invalidGrantWithoutErrors()
        case .appPermission: return .appPermissionRequired(injected.permission ?? "ReadCallRecording")
        case .userPermission: return .userPermissionRequired(injected.permission ?? "FullCompanyCallLog")
        case .anotherExtension: return .anotherExtension()
        case .rateLimitWithoutWindow: return .rateLimitWithoutWindow()
        case .rateLimitBare: return .globalRateLimit()
        case .tokenNotFound:
            if let tokenValue { invalidate(tokenValue) }
            return .tokenNotFound()
        }
    }

    /// The token stops working; its next use answers 401 OAU-213 "Token not found".
    mutating func invalidate(_ tokenValue: String) {
        if accessTokens.removeValue(forKey: tokenValue) != nil { invalidatedTokens.insert(tokenValue) }
    }
}
