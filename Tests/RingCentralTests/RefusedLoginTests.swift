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

/// A server that answers 429 to every request, however long ringlog waits (no or tiny penalties):
/// after the throttle budget of one request is spent, the group stops for the run, so each further
/// item does not spend the same eight requests and eight penalties (minutes each without headers).
@Suite struct PersistentThrottleTests {
    @Test func aGroupThrottledThroughAWholeRetryBudgetStopsForTheRun() async throws {
        let media = "/restapi/v1.0/account/~/extension/1/message-store/2/content/3"
        let server = try ScriptedServer { _, path, _ in
            path == "/restapi/oauth/token" ? .token()
                : .json(429, #"{"errorCode":"CMN-301","message":"Request rate exceeded","errors":[{"errorCode":"CMN-301","message":"Request rate exceeded"}]}"#,
                        headers: [("Retry-After", "0"), ("X-Rate-Limit-Group", "medium"), ("X-Rate-Limit-Limit", "1000"), ("X-Rate-Limit-Window", "1")])
        }
        let client = ServerNumberTests.client(server)
        var errors: [String] = []
        for _ in 0..<5 {
            do { _ = try await blocking { try client.downloadAttachment(uri: server.baseURL + media, to: -1) } } catch { errors.append("\(error)") }
        }
        let budget = RetryPolicy().maximumThrottledAttempts
        #expect(server.count("GET \(media)") == budget, "one request's throttle budget, then nothing: \(server.count("GET \(media)"))")
        #expect(errors.count == 5 && errors[0].contains("429") && errors.dropFirst().allSatisfy { $0.contains("this run stops that work") }, "\(errors)")
        #expect(client.requestStatistics[.medium]?.stoppedForSeconds != nil && client.requestStatistics[.light]?.stoppedForSeconds == nil, "only that group stops")
    }
}

/// RingCentral's guide (basics/formats/responses): for 301, 302, 303, 307 and 308 "client must support
/// automatic redirection to new URL returned in Location header ... If by some reason Location header
/// is not returned, the client should repeat request to the same URL."
@Suite struct RedirectWithoutLocationTests {
    @Test func aRedirectWithoutLocationIsAskedAgain() async throws {
        let server = try ScriptedServer { _, path, count in
            switch path {
            case "/restapi/oauth/token": return .token()
            case "/restapi/v1.0/account/~": return count <= 2 ? ScriptedServer.Reply(302) : .account
            default: return .json(404, #"{"errors":[{"errorCode":"CMN-102","message":"not found"}]}"#)
            }
        }
        let client = ServerNumberTests.client(server)
        let account = try await blocking { try client.accountInfo() }
        #expect(account.id == "400131000008")
        #expect(server.count("GET /restapi/v1.0/account/~") == 3)
    }
}
