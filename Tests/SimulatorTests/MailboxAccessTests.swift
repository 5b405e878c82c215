import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing
@testable import RingSimulator

/// Per-mailbox logins (`extensionJwts`) and `mailboxAccess`: whose voicemail a login may read, `~`,
/// company-wide endpoints for non-admins, and a rate-limit budget per app and user.
@Suite struct MailboxAccessTests {
    static let cmn404 = #"{"errorCode":"CMN-404","message":"Attempt to access another extension","errors":[{"errorCode":"CMN-404","message":"Attempt to access another extension"}]}"#

    /// A user (not the owner) with voicemail, and another user with voicemail too.
    static func mailboxes(_ driver: EngineDriver) throws -> (owner: String, user: String, userJWT: String, messageOfOwner: SimMessage?, messageOfUser: SimMessage) {
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let now = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        let users = Set(driver.credentials.extensionJwts.map(\.extensionId))
        let message = try #require(account.messages.first {
            $0.type == .voiceMail && $0.extensionId != account.ownerExtensionId && users.contains($0.extensionId)
                && ($0.transcribedAt ?? now) <= now
        })
        let jwt = try #require(driver.credentials.extensionJwts.first { $0.extensionId == message.extensionId }?.jwt)
        return (account.ownerExtensionId, message.extensionId, jwt,
                account.messages.first { $0.type == .voiceMail && $0.extensionId == account.ownerExtensionId && $0.created <= now }, message)
    }

    @Test func everyUserHasAJWTAndTheOwnersIsTheAccountJWT() throws {
        let driver = EngineDriver()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let users = account.extensions.filter { $0.type == "User" }.map(\.id)
        #expect(driver.credentials.extensionJwts.map(\.extensionId) == users)
        #expect(driver.credentials.extensionJwts.first { $0.extensionId == account.ownerExtensionId }?.jwt == driver.credentials.jwt)
        #expect(Set(driver.credentials.extensionJwts.map(\.jwt)).count == users.count, "one JWT each")
        #expect(EngineDriver().credentials.extensionJwts.map(\.jwt) == driver.credentials.extensionJwts.map(\.jwt), "a function of the seed")
    }

    @Test func aUsersLoginIsThatUserForTildeAndItsOwnMailbox() throws {
        var driver = EngineDriver { $0.mailboxAccess = .owner; $0.days = 14 }
        let (_, user, jwt, _, message) = try Self.mailboxes(driver)
        let login = driver.tokenRequest(assertion: jwt)
        #expect(try JSON.parse(login.body)["owner_id"]?.stringValue == user)
        try driver.login(jwt: jwt)
        let (_, me) = try driver.getJSON(driver.accountPath + "/extension/~")
        #expect(me["id"] == .number(user))
        let (status, list) = try driver.getJSON(driver.accountPath + "/extension/~/message-store", [("dateFrom", "2026-11-01T00:00:00Z")])
        #expect(status == 200 && list["records"]?.arrayValue?.contains { $0["id"] == .number(message.id) } == true)
        #expect(driver.get(driver.accountPath + "/extension/\(user)/message-sync", [("dateFrom", "2026-11-01T00:00:00Z")]).status == 200)
        let content = driver.get(driver.accountPath + "/extension/\(user)/message-store/\(message.id)/content/\(message.audio.id)")
        #expect(content.status == 302)
        let location = try #require(content.headers.first { $0.name == "Location" }?.value)
        let media = driver.get(String(location.dropFirst("http://media.sim.localhost:1".count)))
        #expect(media.status == 200 && media.body == message.audio.bytes)
    }

    @Test func ownerAccessRefusesEveryOtherMailboxWithCMN404() throws {
        var driver = EngineDriver { $0.mailboxAccess = .owner; $0.days = 14 }
        let (owner, user, _, ownersMessage, message) = try Self.mailboxes(driver)
        try driver.login()  // the admin
        let other = driver.accountPath + "/extension/\(user)"
        let refused = [
            driver.get(other + "/message-store", [("dateFrom", "2026-11-01T00:00:00Z")]),
            driver.get(other + "/message-sync", [("dateFrom", "2026-11-01T00:00:00Z")]),
            driver.get(other + "/message-store/\(message.id)"),
            driver.get(other + "/message-store/\(message.id)/content/\(message.audio.id)"),
            // The media host's redirect target refuses it too.
            driver.get("/__media/attachment/0/\(message.id).\(message.audio.id)"),
        ]
        for response in refused {
            #expect(response.status == 403)
            let body = try JSON.parse(response.body), expected = try JSON.parse(Array(Self.cmn404.utf8))
            #expect(body == expected, "\(String(decoding: response.body, as: UTF8.self))")
        }
        // The admin's own mailbox still answers.
        #expect(driver.get(driver.accountPath + "/extension/~/message-store", [("dateFrom", "2026-11-01T00:00:00Z")]).status == 200)
        if let ownersMessage {
            #expect(driver.get(driver.accountPath + "/extension/\(owner)/message-store/\(ownersMessage.id)").status == 200)
        }
        // The truth still lists every voicemail, with its extension, so tests can filter.
        #expect(try driver.truth().contains { $0["kind"] == "voicemail" && $0["extensionId"]?.stringValue == user })
    }

    @Test func allAccessLetsTheAdminReadEveryMailboxButNeverAnotherUser() throws {
        var admin = EngineDriver { $0.days = 14 }
        let (owner, user, jwt, _, message) = try Self.mailboxes(admin)
        try admin.login()
        #expect(admin.get(admin.accountPath + "/extension/\(user)/message-store/\(message.id)").status == 200)
        var other = admin
        try other.login(jwt: jwt)
        let refused = other.get(other.accountPath + "/extension/\(owner)/message-store", [("dateFrom", "2026-11-01T00:00:00Z")])
        let body = try JSON.parse(refused.body)
        #expect(refused.status == 403 && body["errorCode"] == "CMN-404")
    }

    @Test func aNonAdminGetsCMN408OnTheCompanyCallLogButListsExtensions() throws {
        var driver = EngineDriver()
        let (_, _, jwt, _, _) = try Self.mailboxes(driver)
        try driver.login(jwt: jwt)
        let callId = driver.engine.state.withLock { $0.world.accounts[0].calls[0].id }
        for response in [driver.get(driver.accountPath + "/call-log", [("dateFrom", "2026-11-01T00:00:00Z")]),
                         driver.get(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "10")]),
                         driver.get(driver.accountPath + "/call-log/\(callId)")] {
            #expect(response.status == 403)
            let body = try JSON.parse(response.body)
            #expect(body["errorCode"] == "CMN-408" && body["permissionName"] == "FullCompanyCallLog")
            #expect(body["errors"]?[0]?["permissionName"] == "FullCompanyCallLog")
            #expect(body["message"]?.stringValue == "In order to call this API endpoint, user needs to have [FullCompanyCallLog] permission for requested resource.")
        }
        #expect(driver.get(driver.accountPath + "/extension").status == 200)
    }

    /// Limits count per app and user: the admin spending the Light group leaves a user's budget whole.
    @Test func eachUserHasItsOwnRateLimitBudget() throws {
        var admin = EngineDriver { $0.timeScale = 1 }
        let (_, _, jwt, _, _) = try Self.mailboxes(admin)
        try admin.login()
        var user = admin
        try user.login(jwt: jwt)
        var statuses: [Int] = []
        for _ in 0..<51 { statuses.append(admin.get(admin.accountPath + "/extension/~").status) }
        #expect(statuses.prefix(50).allSatisfy { $0 == 200 } && statuses.last == 429, "the admin's 51st Light request is over 50")
        let mine = user.get(user.accountPath + "/extension/~")
        #expect(mine.status == 200)
        #expect(mine.headers.first { $0.name == "X-Rate-Limit-Remaining" }?.value == "49")
    }
}

/// The real binary: `extensionJwts` on the startup line log in as their users over libcurl.
@Suite struct LiveMailboxTests {
    @Test func theStartupLineGivesEveryUserAJWTThatReadsItsOwnMailbox() async throws {
        let sim = try await LiveSimulator.start { $0.days = 14; $0.futureDays = 0; $0.mailboxAccess = "owner" }
        let owner = try #require(sim.startup["accounts"]?[0]?["ownerExtensionId"]?.stringValue)
        let jwts = sim.extensionJwts()
        #expect(jwts[owner] == sim.credentials().jwt && jwts.count == 6, "every User extension, the owner's being jwt")
        let voicemail = try #require(sim.truth.first { $0["kind"] == "voicemail" && jwts[$0["extensionId"]?.stringValue ?? ""] != nil
            && $0["extensionId"]?.stringValue != owner })
        let user = try #require(voicemail["extensionId"]?.stringValue)
        let base = sim.baseURL, path = "/restapi/v1.0/account/~/extension/\(user)/message-store?dateFrom=2026-11-01T00:00:00Z"
        let own = sim.credentials(extensionId: user), admin = sim.credentials()
        let (mine, refused) = try await blocking { () throws -> (HTTPResponse, HTTPResponse) in
            let http = CurlHTTPClient()
            func login(_ credentials: RingCentralCredentials) throws -> String {
                let basic = Base64.encode(Array("\(credentials.clientId):\(credentials.clientSecret)".utf8))
                let response = try http.perform(HTTPRequest(
                    method: .post, url: base + "/restapi/oauth/token",
                    headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")],
                    body: Array("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(credentials.jwt)".utf8)))
                return try JSON.parse(response.body)["access_token"]?.stringValue ?? ""
            }
            let mine = try http.perform(HTTPRequest(url: base + path, headers: [("Authorization", "Bearer \(try login(own))")]))
            let refused = try http.perform(HTTPRequest(url: base + path, headers: [("Authorization", "Bearer \(try login(admin))")]))
            return (mine, refused)
        }
        #expect(mine.status == 200)
        let ids = try JSON.parse(mine.body)["records"]?.arrayValue?.compactMap { $0["id"]?.serialized() } ?? []
        #expect(ids.contains(voicemail["messageId"]?.stringValue ?? "-"))
        let refusal = try JSON.parse(refused.body)
        #expect(refused.status == 403 && refusal["errorCode"] == "CMN-404")
    }
}
