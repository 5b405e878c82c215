import RinglogSupport

extension EngineState {
    /// `POST /restapi/oauth/token` (JWT bearer grant, Basic client auth) and `POST /restapi/oauth/revoke`.
    mutating func oauth(_ request: SimRequest) -> SimResponse {
        guard request.method == "POST" else {
            return .apiError(405, code: "CMN-102", message: "Method not allowed")
        }
        let client = basicCredentials(request)
        let accountIndex = client.flatMap { credentials in world.accounts.firstIndex { $0.clientId == credentials.id } }
        let principal = accountIndex.map { "account-\($0)" } ?? "client-\(client?.id ?? "anonymous")"
        return admitted(principal: principal, group: .auth) { state in
            guard let client, let accountIndex, state.world.accounts[accountIndex].clientSecret == client.secret else {
                return .oauthError(401, error: "invalid_client", code: "OAU-123", message: "Invalid client")
            }
            guard (request.headers["content-type"] ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") else {
                return .oauthError(415, error: "invalid_request", code: "OAU-250", message: "Unsupported content type")
            }
            let form = request.formFields
            if request.path.hasSuffix("/revoke") {
                guard let token = form["token"] ?? request.parameter("token") else {
                    return .oauthError(400, error: "invalid_request", code: "OAU-101", message: "Parameter [token] is missing")
                }
                // Revoking any token of a session ends the whole session.
                if let session = state.accessTokens[token]?.sessionId {
                    state.accessTokens = state.accessTokens.filter { $0.value.sessionId != session }
                }
                state.revocations += 1
                return SimResponse(status: 200)
            }
            guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
                return .oauthError(400, error: "unsupported_grant_type", code: "OAU-102", message: "Unsupported grant type")
            }
            guard let assertion = form["assertion"], assertion == state.world.accounts[accountIndex].jwt else {
                return .oauthError(400, error: "invalid_grant", code: "OAU-140", message: "Invalid resource owner credentials")
            }
            return state.issueToken(accountIndex: accountIndex)
        }
    }

    private func basicCredentials(_ request: SimRequest) -> (id: String, secret: String)? {
        guard let header = request.headers["authorization"], header.lowercased().hasPrefix("basic ") else { return nil }
        guard let decoded = Base64.decode(String(header.dropFirst(6))) else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    mutating func issueToken(accountIndex: Int) -> SimResponse {
        tokenSerial += 1
        authLogins += 1
        var random = SeededRandom(seed: configuration.seed, 7, tokenSerial)
        let token = "U0lNMDFQMDFQQVMwMHxBQUJ" + randomToken(&random, length: 48)
        let session = String(4_000_000_000 + Int(tokenSerial))
        let lifetime = configuration.accessTokenLifetimeSeconds
        accessTokens[token] = AccessToken(accountIndex: accountIndex,
                                          expiresAtMonotonic: monotonicSeconds() + Double(lifetime), sessionId: session)
        let account = world.accounts[accountIndex]
        return .json(200, [
            "access_token": .string(token),
            "token_type": "bearer",
            "expires_in": .int(lifetime),
            "refresh_token": .string("U0lNMDFQMDFSRUYwMHxBQUJ" + randomToken(&random, length: 48)),
            "refresh_token_expires_in": 604_800,
            "scope": "ReadAccounts ReadCallLog ReadCallRecording ReadMessages",
            "owner_id": .string(account.ownerExtensionId),
            "endpoint_id": .string(randomToken(&random, length: 22)),
            "session_id": .string(session),
        ])
    }
}
