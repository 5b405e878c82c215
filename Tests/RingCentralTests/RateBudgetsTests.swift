import RingCentral
import RinglogSupport
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
}
