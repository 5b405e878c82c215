import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// A refused login (bad or revoked JWT, bad client) does not heal within a run: a client asked again
/// answers with the same error instead of presenting the refused credentials once per request. A
/// mailbox whose own JWT was revoked, with 10 voicemail attachments pending, made 11 refused logins.
@Suite struct RefusedLoginTests {
    @Test func aRefusedLoginIsNotPresentedAgainForEveryRequest() async throws {
        let body = #"{"error":"invalid_grant","error_description":"Invalid token","errors":[{"errorCode":"OAU-213","message":"Token not found"}]}"#
        let server = try ScriptedServer { _, path, _ in path == "/restapi/oauth/token" ? .json(400, body) : .account }
        let client = ServerNumberTests.client(server)
        for _ in 0..<5 {
            await #expect {
                _ = try await blocking { try client.downloadAttachment(uri: server.baseURL + "/restapi/v1.0/account/~/extension/1/message-store/2/content/3",
                                                                       to: -1) }
            } throws: { error in
                guard case RingCentralError.authenticationFailed = error else { return false }
                return "\(error)".contains("JWT")
            }
        }
        #expect(server.count("POST /restapi/oauth/token") == 1, "one refused login, not one per request")
        #expect(server.count("GET /restapi/v1.0/account/~/extension/1/message-store/2/content/3") == 0)
    }
}
