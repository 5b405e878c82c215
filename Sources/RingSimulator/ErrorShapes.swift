import RinglogSupport

/// RingCentral's error bodies beyond the common `{errorCode, message, errors[]}`, each as real payloads
/// have it. Provenance is given per shape; where no verbatim payload was found, the comment says so.
extension SimResponse {
    /// 400 for a bad client id or secret. Verbatim shape from a server capture of 2017-04-19 kept in
    /// RingCentral's TypeScript SDK tests (zengfenfei/ringcentral-ts src/RestClient-test.ts, "fail login,
    /// wrong appKey/appSecret") and a 2016 community report (community.ringcentral.com/answers/3501):
    /// `{"error":"invalid_client","errors":[{"errorCode":"OAU-153","message":"Invalid client: xx",
    /// "parameters":[{"parameterName":"client_id","parameterValue":"xx"}]}],"error_description":"Invalid client: xx"}`.
    static func invalidClient(clientId: String) -> SimResponse {
        let message = "Invalid client: \(clientId)"
        var response = json(400, [
            "error": "invalid_client",
            "errors": [[
                "errorCode": "OAU-153", "message": .string(message),
                "parameters": [["parameterName": "client_id", "parameterValue": .string(clientId)]],
            ]],
            "error_description": .string(message),
        ])
        response.headers.append(("WWW-Authenticate", #"Bearer realm="RingCentral REST API", error="invalid_client", error_description="\#(message)""#))
        return response
    }

    /// 400 for a bad grant, with no `errors[]` at all: verbatim from the same 2017 capture
    /// (ringcentral-ts src/RestClient-test.ts, "reports invalid_grant error when auth with wrong
    /// credential"): `{"error":"invalid_grant","error_description":"Invalid resource owner credentials."}`.
    /// The spec's OauthInvalidRequest requires `errors`; the real server did not send it.
    static func invalidGrantWithoutErrors() -> SimResponse {
        json(400, ["error": "invalid_grant", "error_description": "Invalid resource owner credentials."])
    }

    /// 400 for a grant type the app may not use: verbatim from RingCentral's community answer on OAU-250
    /// (community.ringcentral.com/questions/8088): `{"error":"invalid_request","errors":[{"errorCode":
    /// "OAU-250","message":"Unsupported grant type"}],"error_description":"Unsupported grant type"}`.
    static func unsupportedGrantType() -> SimResponse {
        json(400, [
            "error": "invalid_request", "errors": [["errorCode": "OAU-250", "message": "Unsupported grant type"]],
            "error_description": "Unsupported grant type",
        ])
    }

    /// 403 when the app lacks a permission: verbatim from the guide (docs/voice/call-log/access.md,
    /// [EX:error-403-cmn-401-readcalllog.json], [EX:error-403-cmn-401-readcallrecording.json]): a
    /// top-level `errorCode` that is a word, `InsufficientPermissions`, with `permissionName`.
    static func appPermissionRequired(_ permission: String) -> SimResponse {
        let message = "In order to call this API endpoint, application needs to have [\(permission)] permission"
        return json(403, [
            "errorCode": "InsufficientPermissions", "message": .string(message),
            "errors": [["errorCode": "CMN-401", "message": .string(message), "permissionName": .string(permission)]],
            "permissionName": .string(permission),
        ])
    }

    /// 403 when the logged-in user lacks a permission (a non-admin reading the company call log needs
    /// FullCompanyCallLog, the spec's x-user-permission of readCompanyCallLog). Verbatim shape from a
    /// RingCentral answer on Stack Overflow (question 49660367, ReadUserForwardingFlipNumbers):
    /// `{"errorCode":"CMN-408","message":"In order to call this API endpoint, user needs to have [X]
    /// permission for requested resource.","errors":[{…,"permissionName":"X"}],"permissionName":"X"}`.
    static func userPermissionRequired(_ permission: String) -> SimResponse {
        let message = "In order to call this API endpoint, user needs to have [\(permission)] permission for requested resource."
        return json(403, [
            "errorCode": "CMN-408", "message": .string(message),
            "errors": [["errorCode": "CMN-408", "message": .string(message), "permissionName": .string(permission)]],
            "permissionName": .string(permission),
        ])
    }

    /// 403 for another extension's mailbox. Code and message from the guide's error table (basics/errors:
    /// "403 CMN-404 Attempt to access another extension") and the API reference's error tables (e.g.
    /// authz-profile); the body is RingCentral's usual API error (top-level errorCode/message plus
    /// errors[], as the CMN-120 capture in ringcentral-ts src/RestClient-test.ts). No verbatim CMN-404
    /// body was found.
    static func anotherExtension() -> SimResponse {
        apiError(403, code: "CMN-404", message: "Attempt to access another extension")
    }

    /// 401 for an access token the server no longer knows: revoked, or superseded when another process
    /// logged in as the same user with the same app. Code and message from RingCentral's community
    /// (questions/1221 "TokenInvalid: OAU-213 (Token not found)", with those causes); the body follows
    /// the simulator's other 401s (RFC 6749 `error` plus RingCentral's errors[]). No verbatim body found.
    static func tokenNotFound() -> SimResponse {
        var response = oauthError(401, error: "invalid_token", code: "OAU-213", message: "Token not found")
        response.headers.append(("WWW-Authenticate", #"Bearer realm="RingCentral REST API", error="invalid_token", error_description="Token not found""#))
        return response
    }

    /// 429 from a limit other than the user's plan group (account-level or global defensive limits,
    /// guide basics/rate-limits: these "may return 429 without the X-Rate-Limit-* headers"); CMN-310
    /// "Global request rate exceeded" from the guide's error table. No Retry-After either: the guide
    /// says to wait 30 s or more then; SDKs default to 60 s.
    static func globalRateLimit() -> SimResponse {
        var response = apiError(429, code: "CMN-310", message: "Global request rate exceeded")
        response.rateHeaders = .none
        return response
    }

    /// 429 of the plan group with `X-Rate-Limit-Group/Limit/Remaining` but neither
    /// `X-Rate-Limit-Window` nor `Retry-After` ("In most cases" Retry-After is sent: not always).
    static func rateLimitWithoutWindow() -> SimResponse {
        var response = apiError(429, code: "CMN-301", message: "Request rate exceeded")
        response.rateHeaders = .withoutWindow
        return response
    }
}
