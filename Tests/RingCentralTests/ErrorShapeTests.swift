import CurlHTTP
import Foundation
@testable import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// Every error shape RingCentral is known to send, verbatim where a public source has it, and what
/// ringlog makes of it: the advice names the credential, the permission or the mailbox to fix.
@Suite struct ErrorShapeTests {
    /// `../shared/reference/examples/<name>`, RingCentral's own published bodies (see SOURCES.md there).
    static func reference(_ name: String) throws -> String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: repository.deletingLastPathComponent().appendingPathComponent("shared/reference/examples/\(name)"), encoding: .utf8)
    }

    static func loginError(_ reply: ScriptedServer.Reply) async throws -> RingCentralError {
        let server = try ScriptedServer { _, path, _ in path == "/restapi/oauth/token" ? reply : .account }
        let client = ServerNumberTests.client(server)
        do {
            _ = try await blocking { try client.accountInfo() }
        } catch let error as RingCentralError {
            return error
        }
        throw ScriptedServerError()
    }

    /// A bad client id/secret: `400 invalid_client` with OAU-153 and `errors[].parameters[]` naming the
    /// field (the shape RingCentral's token endpoint gives; OpenAPI `OauthInvalidRequest` plus the
    /// parameters list seen in RingCentral's SDK issue threads).
    @Test func aBadClientNamesTheAppCredentialsAndTheParameter() async throws {
        let body = #"{"error":"invalid_client","errors":[{"errorCode":"OAU-153","message":"Invalid client: scripted-id","parameters":[{"parameterName":"client_id","parameterValue":"scripted-id"}]}],"error_description":"Invalid client: scripted-id"}"#
        let error = try await Self.loginError(.json(400, body))
        guard case .authenticationFailed = error else { Issue.record("\(error)"); return }
        #expect(error.description.contains("client id and client secret"))
        #expect(error.description.contains("client_id"), "the parameter RingCentral names is shown: \(error)")
        #expect(!error.description.contains("scripted-secret") && !error.description.contains("eyJscripted"))
    }

    /// A bad or expired JWT: `400 invalid_grant` with only `error`/`error_description` (no `errors[]`).
    @Test func aBadGrantWithoutErrorsArrayBlamesTheJWT() async throws {
        let body = #"{"error":"invalid_grant","error_description":"Invalid token"}"#
        let error = try await Self.loginError(.json(400, body))
        guard case .authenticationFailed(_, let parsed, _, _) = error else { Issue.record("\(error)"); return }
        #expect(parsed?.oauthError == "invalid_grant" && parsed?.errors.isEmpty == true)
        #expect(error.description.contains("JWT") && error.description.contains("Invalid token"))
        #expect(!error.description.contains("client id"), "the app credentials are not blamed: \(error)")
    }

    /// RingCentral's error table (developers.ringcentral.com/guide/basics/errors) gives the token endpoint's
    /// grant and login refusals as HTTP 403: OAU-112 "The client is unauthorized for the required grant type:
    /// [${grant_type}]", OAU-105 "Login for ${extensionType} extension is not allowed." They are refused
    /// credentials (exit 3, with the advice), not a server error.
    @Test(arguments: [
        #"{"errors":[{"errorCode":"OAU-112","message":"The client is unauthorized for the required grant type: [urn:ietf:params:oauth:grant-type:jwt-bearer]"}]}"#,
        #"{"error":"unauthorized_client","error_description":"The client is unauthorized for the required grant type: [urn:ietf:params:oauth:grant-type:jwt-bearer]","errors":[{"errorCode":"OAU-112","message":"The client is unauthorized for the required grant type: [urn:ietf:params:oauth:grant-type:jwt-bearer]"}]}"#,
    ])
    func aGrantRefusedWith403IsALoginFailureThatSaysToEnableTheJWTFlow(body: String) async throws {
        let error = try await Self.loginError(.json(403, body))
        guard case .authenticationFailed = error else { Issue.record("not a login failure: \(error)"); return }
        #expect(error.description.contains("JWT auth flow"), "\(error)")
    }

    @Test func aLoginRefusedForTheExtensionTypeIsALoginFailure() async throws {
        let body = #"{"errors":[{"errorCode":"OAU-105","message":"Login for Department extension is not allowed."}]}"#
        let error = try await Self.loginError(.json(403, body))
        guard case .authenticationFailed = error else { Issue.record("not a login failure: \(error)"); return }
        #expect(error.description.contains("OAU-105") && error.description.contains("JWT of a user"), "\(error)")
    }

    /// Verbatim token-endpoint answers quoted in public RingCentral threads: ringcentral-api-docs PR #33
    /// (2018-04-13, sandbox, `invalid_client` with OAU-123 "Client authentication is required") and
    /// ringcentral-php issue #41 (2017-02-08, top-level OAU-123 "Authorization header is not specified").
    @Test(arguments: [
        (400, #"{"error" : "invalid_client", "error_description" : "Client authentication is required", "errors" : [ { "errorCode" : "OAU-123", "message" : "Client authentication is required" } ] }"#,
         "client id and client secret"),
        (401, #"{ "errorCode" : "OAU-123", "message" : "Authorization header is not specified" }"#, "client id and client secret"),
    ])
    func publicTokenEndpointAnswersAreLoginFailuresNamingTheCredential(status: Int, body: String, advice: String) async throws {
        let error = try await Self.loginError(.json(status, body))
        guard case .authenticationFailed = error else { Issue.record("not a login failure: \(error)"); return }
        #expect(error.description.contains(advice) && error.description.contains("OAU-123"), "\(error)")
    }

    @Test func anAppWithoutTheJWTGrantIsToldToEnableIt() async throws {
        let body = #"{"error":"unauthorized_client","errors":[{"errorCode":"OAU-251","message":"Unauthorized for this grant type"}],"error_description":"Unauthorized for this grant type"}"#
        let error = try await Self.loginError(.json(400, body))
        #expect(error.description.contains("JWT auth flow"), "\(error)")
    }

    /// RingCentral's guide (voice/call-log/access) prints these verbatim: top-level word `errorCode`
    /// `InsufficientPermissions`, `permissionName`, and CMN-401 in `errors[]`.
    @Test(arguments: ["error-403-cmn-401-readcalllog.json", "error-403-cmn-401-readcallrecording.json"])
    func aMissingPermissionIsNamed(file: String) async throws {
        let body = try Self.reference(file)
        let permission = try #require(try JSON.parse(Array(body.utf8))["permissionName"]?.stringValue)
        let server = try ScriptedServer { _, path, _ in path == "/restapi/oauth/token" ? .token() : .json(403, body) }
        let client = ServerNumberTests.client(server)
        do {
            _ = try await blocking { try client.accountInfo() }
            Issue.record("a 403 was accepted")
        } catch let error as RingCentralError {
            guard case .http(403, let parsed, _) = error else { Issue.record("\(error)"); return }
            #expect(parsed?.missingPermission == permission)
            #expect(parsed?.codes == ["InsufficientPermissions", "CMN-401"])
            #expect(error.description.contains("[\(permission)] permission"), "\(error)")
        }
    }

    /// The permission can also sit only inside `errors[]`.
    @Test func aPermissionNamedOnlyInsideErrorsIsFound() throws {
        let body = #"{"errors":[{"errorCode":"CMN-408","message":"In order to call this API endpoint, user needs to have [ReadMessages] permission for requested resource.","permissionName":"ReadMessages"}]}"#
        #expect(APIErrorBody(bytes: Array(body.utf8))?.missingPermission == "ReadMessages")
    }

    /// Another extension's mailbox: `403 CMN-404 "Attempt to access another extension"`.
    @Test func anotherExtensionsMailboxSaysHowToGrantAccess() throws {
        let body = #"{"errorCode":"CMN-404","message":"Attempt to access another extension","errors":[{"errorCode":"CMN-404","message":"Attempt to access another extension"}]}"#
        let parsed = try #require(APIErrorBody(bytes: Array(body.utf8)))
        #expect(parsed.isAnotherExtensionsData)
        let error = RingCentralError.http(status: 403, body: parsed, endpoint: "GET message-store")
        #expect(error.description.contains("mailboxes"), "\(error)")
    }

    /// A token that vanished because another process logged in as the same user (`401 OAU-213 Token not
    /// found`): exactly one new login, then the request succeeds.
    @Test func aVanishedTokenBringsExactlyOneNewLogin() async throws {
        let body = #"{"errorCode":"OAU-213","message":"Token not found","errors":[{"errorCode":"OAU-213","message":"Token not found"}]}"#
        let server = try ScriptedServer { _, path, count in
            if path == "/restapi/oauth/token" { return .token() }
            return count == 1 ? .json(401, body) : .account
        }
        let client = ServerNumberTests.client(server)
        _ = try await blocking { try client.accountInfo() }
        #expect(server.count(ServerNumberTests.tokenPath) == 2)
        #expect(server.count(ServerNumberTests.accountPath) == 2)
    }

    /// A 429 with neither `Retry-After` nor any `X-Rate-Limit-*` header (RingCentral's account-level and
    /// defensive limits answer so): a penalty all the same, and from then on the group is paced at
    /// RingCentral's documented default until headers say otherwise.
    @Test func a429WithoutHeadersFallsBackToTheDocumentedDefaults() {
        let governor = RateGovernor(defaultRetryAfterSeconds: 0.3)
        #expect(governor.admit(.heavy) == .granted)
        governor.finish(.heavy, status: 429, headers: HTTPHeaders([("Content-Type", "application/json")]))
        #expect(governor.penaltyEnd(.heavy) != nil, "a header-less 429 still starts a penalty")
        #expect(governor.statistics[.heavy]?.limit == 10 && governor.statistics[.heavy]?.window == 60)
        #expect(governor.admit(.medium) == .granted)
        governor.finish(.medium, status: 429, headers: HTTPHeaders())
        #expect(governor.statistics[.medium]?.limit == 40)
        // Headers that come later win, also when customised.
        Thread.sleep(forTimeInterval: 0.4)
        #expect(governor.admit(.medium) == .granted)
        governor.finish(.medium, status: 200, headers: HTTPHeaders([("X-Rate-Limit-Limit", "200"), ("X-Rate-Limit-Window", "60")]))
        #expect(governor.statistics[.medium]?.limit == 200)
    }

    /// Limits are per app and can be customised (an Auth limit of 200 has been seen): the learned limit
    /// follows the headers, up and down.
    @Test func learnedLimitsFollowCustomisedHeaders() {
        let governor = RateGovernor()
        for (limit, window) in [("200", "60"), ("20", "30"), ("1000", "60")] {
            #expect(governor.admit(.auth) == .granted)
            governor.finish(.auth, status: 200, headers: HTTPHeaders([("X-Rate-Limit-Limit", limit), ("X-Rate-Limit-Window", window), ("X-Rate-Limit-Remaining", limit)]))
            #expect(governor.statistics[.auth]?.limit == Int(limit) && governor.statistics[.auth]?.window == Double(window))
        }
    }
}
