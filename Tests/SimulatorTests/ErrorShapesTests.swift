import CurlHTTP
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing
@testable import RingSimulator

/// RingCentral's error variants, each selectable: one-shot `POST /__sim/next-error`, the
/// login-invalidates-previous fault, customised rate limits, and the default OAuth refusals.
@Suite struct ErrorShapesTests {
    static func reference(_ name: String) throws -> JSON {
        try JSON.parse(Array(try Data(contentsOf: OpenAPISpec.referenceDirectory.appendingPathComponent("examples/" + name))))
    }

    /// The body as JSON (null if it is not JSON), for use inside `#expect`.
    static func json(_ response: SimResponse) -> JSON { (try? JSON.parse(response.body)) ?? .null }

    static func headers(_ response: SimResponse) -> [String: String] {
        Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    func queue(_ driver: EngineDriver, _ query: [(name: String, value: String)]) {
        #expect(driver.post("/__sim/next-error", query).status == 200)
    }

    @Test func invalidClientIsRingCentralsCapturedShapeByDefaultAndOnDemand() throws {
        let driver = EngineDriver()
        let expected = try JSON.parse(Array(#"""
            {"error":"invalid_client","errors":[{"errorCode":"OAU-153","message":"Invalid client: \#(driver.credentials.clientId)",
             "parameters":[{"parameterName":"client_id","parameterValue":"\#(driver.credentials.clientId)"}]}],
             "error_description":"Invalid client: \#(driver.credentials.clientId)"}
            """#.utf8))
        let wrong = driver.tokenRequest(clientSecret: "wrong")
        #expect(wrong.status == 400 && Self.json(wrong) == expected)
        queue(driver, [("kind", "invalid-client")])
        let injected = driver.tokenRequest()
        #expect(injected.status == 400 && Self.json(injected) == expected)
        #expect(driver.tokenRequest().status == 200, "one shot")
    }

    @Test func invalidGrantOnDemandHasNoErrorsArray() throws {
        let driver = EngineDriver()
        queue(driver, [("kind", "invalid-grant")])
        let refused = driver.tokenRequest()
        #expect(refused.status == 400)
        #expect(String(decoding: refused.body, as: UTF8.self) == #"{"error":"invalid_grant","error_description":"Invalid resource owner credentials."}"#)
        #expect(Self.headers(refused)["X-Rate-Limit-Group"] == "auth", "it still counts against Auth")
        // The default refusal of a wrong JWT keeps errors[] (the spec requires it).
        let wrongJWT = try JSON.parse(driver.tokenRequest(assertion: "nope").body)
        #expect(wrongJWT["error"] == "invalid_grant" && wrongJWT["errors"]?[0]?["errorCode"] == "OAU-140")
    }

    @Test func permissionErrorsAreTheGuidesVerbatimBodies() throws {
        var driver = EngineDriver()
        try driver.login()
        let recording = try #require(try driver.truth().first { $0["kind"] == "recording" }?["recordingId"]?.stringValue)
        queue(driver, [("kind", "app-permission"), ("path", "/recording/")])
        let noRecordings = driver.get(driver.accountPath + "/recording/\(recording)")
        #expect(noRecordings.status == 403)
        #expect(try JSON.parse(noRecordings.body) == Self.reference("error-403-cmn-401-readcallrecording.json"))
        queue(driver, [("kind", "app-permission"), ("permission", "ReadCallLog"), ("path", "/call-log")])
        #expect(try JSON.parse(driver.get(driver.accountPath + "/call-log").body) == Self.reference("error-403-cmn-401-readcalllog.json"))
        queue(driver, [("kind", "user-permission")])
        let user = try JSON.parse(driver.get(driver.accountPath).body)
        #expect(user["errorCode"] == "CMN-408" && user["permissionName"] == "FullCompanyCallLog" && user["errors"]?[0]?["permissionName"] == "FullCompanyCallLog")
        queue(driver, [("kind", "another-extension")])
        #expect(try JSON.parse(driver.get(driver.accountPath + "/extension/~/message-store").body)
            == JSON.parse(Array(MailboxAccessTests.cmn404.utf8)))
        #expect(driver.get(driver.accountPath).status == 200, "each was one shot")
    }

    @Test func rateLimitVariantsLackTheirHeadersAndStartNoPenalty() throws {
        var driver = EngineDriver { $0.timeScale = 1 }
        try driver.login()
        queue(driver, [("kind", "rate-limit-without-window")])
        let noWindow = driver.get(driver.accountPath + "/call-log")
        #expect(noWindow.status == 429 && Self.json(noWindow)["errors"]?[0]?["errorCode"] == "CMN-301")
        let headers = Self.headers(noWindow)
        #expect(headers["X-Rate-Limit-Window"] == nil && headers["Retry-After"] == nil)
        #expect(headers["X-Rate-Limit-Group"] == "heavy" && headers["X-Rate-Limit-Limit"] == "10" && headers["X-Rate-Limit-Remaining"] == "0")
        queue(driver, [("kind", "rate-limit-bare"), ("count", "2")])
        for _ in 0..<2 {
            let bare = driver.get(driver.accountPath + "/extension")
            #expect(bare.status == 429 && Self.json(bare)["errors"]?[0]?["errorCode"] == "CMN-310")
            #expect(!bare.headers.contains { $0.name.hasPrefix("X-Rate-Limit") || $0.name == "Retry-After" }, "\(bare.headers)")
        }
        let after = driver.get(driver.accountPath + "/call-log")
        #expect(after.status == 200, "no penalty was started")
        #expect(Self.headers(after)["X-Rate-Limit-Window"] == "60")
    }

    @Test func aPathFilterAimsTheErrorAndNoneClearsTheQueue() throws {
        var driver = EngineDriver()
        try driver.login()
        queue(driver, [("kind", "another-extension"), ("path", "/message-sync"), ("count", "3")])
        #expect(driver.get(driver.accountPath).status == 200, "other paths are untouched")
        #expect(driver.get(driver.accountPath + "/extension/~/message-sync").status == 403)
        queue(driver, [("kind", "none")])
        #expect(driver.get(driver.accountPath + "/extension/~/message-sync").status == 200)
        #expect(driver.post("/__sim/next-error", [("kind", "another-extensio")]).status == 400, "a typo is refused")
        #expect(driver.post("/__sim/next-error", [("kind", "invalid-grant"), ("count", "0")]).status == 400)
    }

    @Test func aVanishedTokenAnswersOAU213UntilTheClientLogsInAgain() throws {
        var driver = EngineDriver()
        try driver.login()
        queue(driver, [("kind", "token-not-found")])
        for _ in 0..<2 {
            let gone = driver.get(driver.accountPath)
            #expect(gone.status == 401)
            let body = try JSON.parse(gone.body)
            #expect(body["errors"]?[0]?["errorCode"] == "OAU-213" && body["errors"]?[0]?["message"] == "Token not found")
        }
        try driver.login()
        #expect(driver.get(driver.accountPath).status == 200)
        // Revoking gives the same answer afterwards.
        let token = driver.token
        _ = driver.engine.handle(SimRequest(method: "POST", path: "/restapi/oauth/revoke", query: [],
                                            headers: ["authorization": "Basic " + Base64.encode(Array("\(driver.credentials.clientId):\(driver.credentials.clientSecret)".utf8)),
                                                      "content-type": "application/x-www-form-urlencoded"],
                                            body: Array("token=\(token)".utf8)))
        #expect(try JSON.parse(driver.get(driver.accountPath).body)["errors"]?[0]?["errorCode"] == "OAU-213")
    }

    /// "Another process logged in": a login for the same user and app ends the earlier token; another
    /// user's token is untouched.
    @Test func aLoginCanEndTheSameUsersEarlierToken() throws {
        var first = EngineDriver { $0.faults.loginInvalidatesPreviousShare = 1 }
        try first.login()
        let otherUser = try #require(first.credentials.extensionJwts.first { $0.extensionId != first.credentials.ownerExtensionId })
        var colleague = first
        try colleague.login(jwt: otherUser.jwt)
        var second = first
        try second.login()
        let ended = first.get(first.accountPath)
        #expect(ended.status == 401 && Self.json(ended)["errors"]?[0]?["errorCode"] == "OAU-213")
        #expect(second.get(second.accountPath).status == 200)
        #expect(colleague.get(colleague.accountPath).status == 200, "per user: the colleague's session survives")
        let stats = try JSON.parse(first.get("/__sim/stats").body)
        #expect(stats["faultsInjected"]?["loginInvalidatesPrevious"]?.int == 1)
    }

    @Test func customisedLimitsAreEnforcedAndAnnounced() throws {
        var driver = EngineDriver {
            $0.timeScale = 1
            $0.rateLimits = try! RateLimits(parsing: "heavy=20/30,auth=200")
        }
        let login = driver.tokenRequest()
        #expect(Self.headers(login)["X-Rate-Limit-Limit"] == "200" && Self.headers(login)["X-Rate-Limit-Window"] == "60")
        try driver.login()
        var statuses: [Int] = []
        var last = SimResponse(status: 0)
        for _ in 0..<21 {
            last = driver.get(driver.accountPath + "/call-log")
            statuses.append(last.status)
        }
        #expect(statuses.prefix(20).allSatisfy { $0 == 200 } && statuses.last == 429)
        #expect(Self.headers(last)["X-Rate-Limit-Limit"] == "20" && Self.headers(last)["X-Rate-Limit-Window"] == "30")
        #expect(Self.headers(last)["Retry-After"] == "30", "the penalty is the group's window")
        let light = driver.get(driver.accountPath)
        #expect(Self.headers(light)["X-Rate-Limit-Limit"] == "50", "groups not named keep RingCentral's defaults")
    }

    /// Header seconds stay valid numbers at any time scale (the stats JSON carries them too).
    @Test func secondsAreWrittenAsJSONNumbers() throws {
        for (seconds, text) in [(60.0, "60"), (0.1, "0.1"), (0.00006, "0.00006"), (1e-9, "0"), (2.5, "2.5")] {
            #expect(formatSeconds(seconds) == text)
            #expect(try JSON.parse(Array(formatSeconds(seconds).utf8)).doubleValue != nil)
        }
    }

    @Test func rateLimitTextIsParsedStrictly() throws {
        let limits = try RateLimits(parsing: "heavy=20,medium=40,light=50,auth=200")
        #expect(limits[.heavy] == RateLimits.Limit(requests: 20) && limits[.auth] == RateLimits.Limit(requests: 200))
        #expect(try RateLimits(parsing: "Heavy=5/2.5")[.heavy] == RateLimits.Limit(requests: 5, windowSeconds: 2.5))
        for bad in ["hevy=20", "heavy=0", "heavy=x", "heavy=20/0", "heavy"] {
            #expect(throws: SimulatorInputError.self, "\(bad)") { try RateLimits(parsing: bad) }
        }
    }

    /// Through the binary: `--rate-limits` reaches the headers and `LiveSimulator.nextError` the next request.
    @Test func theBinaryTakesRateLimitsAndOneShotErrors() async throws {
        let sim = try await LiveSimulator.start { $0.days = 1; $0.futureDays = 0; $0.rateLimits = "heavy=20/30,auth=200"; $0.timeScale = 1 }
        let credentials = sim.credentials()
        sim.nextError("user-permission", path: "/call-log")
        let (login, first, second) = try await blocking { () throws -> (HTTPResponse, HTTPResponse, HTTPResponse) in
            let http = CurlHTTPClient()
            let basic = Base64.encode(Array("\(credentials.clientId):\(credentials.clientSecret)".utf8))
            let login = try http.perform(HTTPRequest(
                method: .post, url: sim.baseURL + "/restapi/oauth/token",
                headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(credentials.jwt)".utf8)))
            let bearer = [("Authorization", "Bearer " + (try JSON.parse(login.body)["access_token"]?.stringValue ?? ""))]
            let url = sim.baseURL + "/restapi/v1.0/account/~/call-log?dateFrom=2026-11-20T00:00:00Z"
            return (login, try http.perform(HTTPRequest(url: url, headers: bearer)), try http.perform(HTTPRequest(url: url, headers: bearer)))
        }
        #expect(login.headers["X-Rate-Limit-Limit"] == "200")
        #expect(first.status == 403 && first.headers["X-Rate-Limit-Limit"] == "20" && first.headers["X-Rate-Limit-Window"] == "30")
        #expect(second.status == 200)
    }
}
