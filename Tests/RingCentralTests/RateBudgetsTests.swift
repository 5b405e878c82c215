import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// RingCentral counts rate limits per user and app: logins of one user through one app share a governor.
@Suite struct RateBudgetsTests {
    /// A JWT whose payload carries `claims` (unsigned: only the payload is read).
    func jwt(_ claims: String, signature: String = "c2ln") -> String {
        "eyJhbGciOiJSUzI1NiJ9." + Base64.encodeURLSafe(Array(claims.utf8)) + "." + signature
    }

    func credentials(server: String = "https://platform.ringcentral.com", client: String = "app-1", jwt: String) -> RingCentralCredentials {
        RingCentralCredentials(serverURL: server, clientId: client, clientSecret: "secret", jwt: jwt)
    }

    @Test func oneUserOfOneAppSharesOneGovernor() {
        let budgets = RateBudgets()
        let first = jwt(#"{"aud":"https://platform.ringcentral.com/restapi/oauth/token","sub":"62000001","jti":"a"}"#)
        let second = jwt(#"{"sub":"62000001","jti":"b"}"#, signature: "b3RoZXI")  // another JWT credential of the same user
        let shared = budgets.governor(for: credentials(jwt: first))
        #expect(budgets.governor(for: credentials(jwt: first)) === shared)
        #expect(budgets.governor(for: credentials(jwt: second)) === shared)
        #expect(budgets.governor(for: credentials(server: "HTTPS://platform.ringcentral.com/", jwt: first)) === shared)
        // Another user, another app, another server: budgets of their own.
        #expect(budgets.governor(for: credentials(jwt: jwt(#"{"sub":"62000002"}"#))) !== shared)
        #expect(budgets.governor(for: credentials(client: "app-2", jwt: first)) !== shared)
        #expect(budgets.governor(for: credentials(server: "https://platform.devtest.ringcentral.com", jwt: first)) !== shared)
    }

    @Test func aJWTWhosePayloadDoesNotReadSharesOnlyWithItself() {
        let budgets = RateBudgets()
        let opaque = "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"
        let governor = budgets.governor(for: credentials(jwt: opaque))
        #expect(budgets.governor(for: credentials(jwt: opaque)) === governor)
        #expect(budgets.governor(for: credentials(jwt: "not-a-jwt")) !== governor)
        #expect(budgets.governor(for: credentials(jwt: jwt(#"{"sub":""}"#))) !== budgets.governor(for: credentials(jwt: jwt(#"{"sub":"", "x":1}"#))))
    }

    /// A stop one login met (RingCentral asked for a wait longer than a run sits out) stays that login's
    /// for its run, but a login of the same budget that starts once the wait has passed (the next tenant
    /// of `sync --all`, after --parallel others) sends: the shared governor's stop was for ever, so such a
    /// tenant archived nothing of that group however long ago the pause had ended.
    @Test func aSharedStopEndsForLoginsThatStartAfterItsWait() async throws {
        let server = try ScriptedServer { _, path, count in
            path == "/restapi/oauth/token" ? .token()
                : count == 1 ? .json(429, #"{"errorCode":"CMN-301","message":"Request rate exceeded"}"#, headers: [("Retry-After", "0.5")]) : .account
        }
        let governor = RateGovernor(absoluteMargin: 0, maximumPenaltySeconds: 0.2)
        let first = ServerNumberTests.client(server, governor: governor)
        let firstResult = try await blocking { Result { () throws(RingCentralError) in try first.accountInfo() } }
        guard case .failure(.penaltyTooLong(.light, 0.5, _)) = firstResult else {
            Issue.record("expected the stop: \(firstResult)")
            return
        }
        try await Task.sleep(for: .seconds(0.8))
        // The login that met the stop keeps it for its run.
        let again = try await blocking { Result { () throws(RingCentralError) in try first.accountInfo() } }
        guard case .failure(.penaltyTooLong) = again else {
            Issue.record("the stopped login sent again: \(again)")
            return
        }
        #expect(server.count(ServerNumberTests.accountPath) == 1)
        #expect(first.requestStatistics[.light]?.stoppedForSeconds == 0.5)
        // A later login of the same budget is not stopped by a pause that is over.
        let later = ServerNumberTests.client(server, governor: governor)
        let laterResult = try await blocking { Result { () throws(RingCentralError) in try later.accountInfo() } }
        guard case .success = laterResult else {
            Issue.record("a later login of the budget was stopped: \(laterResult)")
            return
        }
        #expect(server.count(ServerNumberTests.accountPath) == 2)
        #expect(later.requestStatistics[.light]?.stoppedForSeconds == nil, "its report does not say it was stopped")
    }
}
