import RinglogSupport

extension EngineState {
    /// `POST /restapi/oauth/token` (JWT bearer grant, Basic client auth) and `POST /restapi/oauth/revoke`.
    /// A JWT logs in as its user: the account's (the admin's) or one of `extensionJwts`.
    mutating func oauth(_ request: SimRequest) -> SimResponse {
        guard request.method == "POST" else {
            return .apiError(405, code: "CMN-102", message: "Method not allowed")
        }
        let client = basicCredentials(request)
        let accountIndex = client.flatMap { credentials in world.accounts.firstIndex { $0.clientId == credentials.id } }
        let form = request.formFields
        let isRevoke = request.path.hasSuffix("/revoke")
        // Auth limits count per app and user too: the user a valid JWT names, or the revoked token's.
        let user: String? = accountIndex.flatMap { index in
            isRevoke ? (form["token"] ?? request.parameter("token")).flatMap { accessTokens[$0]?.extensionId }
                : world.accounts[index].user(forJWT: form["assertion"])
        }
        let principal = accountIndex.map { "account-\($0)" + (user.map { "/\($0)" } ?? "") } ?? "client-\(client?.id ?? "anonymous")"
        return admitted(principal: principal, group: .auth) { state in
            if let injected = state.takeInjectedError(for: request) {
                return state.response(for: injected, request: request, tokenValue: nil)
            }
            guard let client, let accountIndex, state.world.accounts[accountIndex].clientSecret == client.secret else {
                return .invalidClient(clientId: client?.id ?? "")
            }
            guard (request.headers["content-type"] ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") else {
                return .oauthError(415, error: "invalid_request", code: "OAU-250", message: "Unsupported content type")
            }
            if isRevoke {
                guard let token = form["token"] ?? request.parameter("token") else {
                    return .oauthError(400, error: "invalid_request", code: "OAU-101", message: "Parameter [token] is missing")
                }
                // Revoking any token of a session ends the whole session.
                if let session = state.accessTokens[token]?.sessionId {
                    for (value, held) in state.accessTokens where held.sessionId == session { state.invalidate(value) }
                }
                state.revocations += 1
                return SimResponse(status: 200)
            }
            guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
                return .unsupportedGrantType()
            }
            guard let user else {
                // The default keeps errors[] (the spec's OauthInvalidRequest requires it); the bare
                // form real servers send is `POST /__sim/next-error?kind=invalid-grant`.
                return .oauthError(400, error: "invalid_grant", code: "OAU-140", message: "Invalid resource owner credentials")
            }
            return state.issueToken(accountIndex: accountIndex, extensionId: user)
        }
    }

    private func basicCredentials(_ request: SimRequest) -> (id: String, secret: String)? {
        guard let header = request.headers["authorization"], header.lowercased().hasPrefix("basic ") else { return nil }
        guard let decoded = Base64.decode(String(header.dropFirst(6))) else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    func basicClientId(_ request: SimRequest) -> String? { basicCredentials(request)?.id }

    mutating func issueToken(accountIndex: Int, extensionId: String) -> SimResponse {
        tokenSerial += 1
        authLogins += 1
        // Another process logging in as the same user with the same app can end this one's session.
        if faults.loginInvalidatesPreviousShare > 0, faultRandom.chance(faults.loginInvalidatesPreviousShare) {
            let previous = accessTokens.filter { $0.value.accountIndex == accountIndex && $0.value.extensionId == extensionId }.map(\.key)
            if !previous.isEmpty { faultCounts["loginInvalidatesPrevious", default: 0] += 1 }
            for value in previous { invalidate(value) }
        }
        var random = SeededRandom(seed: configuration.seed, 7, tokenSerial)
        let token = "U0lNMDFQMDFQQVMwMHxBQUJ" + randomToken(&random, length: 48)
        let session = String(4_000_000_000 + Int(tokenSerial))
        let lifetime = configuration.accessTokenLifetimeSeconds
        accessTokens[token] = AccessToken(accountIndex: accountIndex, extensionId: extensionId,
                                          expiresAtMonotonic: monotonicSeconds() + Double(lifetime), sessionId: session)
        return .json(200, [
            "access_token": .string(token),
            "token_type": "bearer",
            "expires_in": .int(lifetime),
            "refresh_token": .string("U0lNMDFQMDFSRUYwMHxBQUJ" + randomToken(&random, length: 48)),
            "refresh_token_expires_in": 604_800,
            "scope": "ReadAccounts ReadCallLog ReadCallRecording ReadMessages",
            "owner_id": .string(extensionId),
            "endpoint_id": .string(randomToken(&random, length: 22)),
            "session_id": .string(session),
        ])
    }
}
