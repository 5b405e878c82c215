import RinglogSupport
import Testing
@testable import RingSimulator

/// RingSense insights (getRecordingInsights): for a share of the recordings, late, some revised,
/// 403 for an account without the licence, and listed in the truth as served.
@Suite struct InsightsTests {
    static let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!

    static func path(_ recordingId: String) -> String { "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/\(recordingId)/insights" }

    static func advance(_ driver: EngineDriver, to instant: Timestamp) {
        let now = driver.engine.state.withLock { $0.now }
        _ = driver.post("/__sim/advance", [("seconds", String(Double(instant.millisecondsSinceEpoch - now.millisecondsSinceEpoch) / 1000))])
    }

    static func account(_ driver: EngineDriver) -> SimAccount { driver.engine.state.withLock { $0.world.accounts[0] } }

    @Test func aShareOfTheRecordingsGetsInsightsAfterTheRecordingIsReady() throws {
        var driver = EngineDriver { $0.days = 30 }
        try driver.login()
        let account = Self.account(driver)
        let owned = account.recordingIds.filter { id in
            account.callsByRecordingId[id].flatMap { $0.first }.flatMap { account.calls[$0].extensionId }
                .map { owner in account.extensions.contains { $0.id == owner && $0.type == "User" } } ?? false
        }
        let share = Double(account.insights.count) / Double(owned.count)
        #expect(share > 0.2 && share < 0.4, "about 0.3 of user-owned recordings: \(account.insights.count) of \(owned.count)")
        let insight = try #require(account.insights.first { $0.createdAt > Self.start })
        let call = account.calls[account.callsById[insight.callId]!]
        #expect(insight.createdAt > call.recording!.readyAt, "later than the recording itself")
        #expect(driver.get(Self.path(insight.recordingId)).status == 404, "not yet")
        Self.advance(driver, to: insight.createdAt)
        let (status, body) = try driver.getJSON(Self.path(insight.recordingId))
        #expect(status == 200)
        #expect(body["sourceRecordId"]?.stringValue == insight.recordingId && body["domain"] == "pbx")
        #expect(body["sourceSessionId"]?.stringValue == call.telephonySessionId && body["ownerExtensionId"]?.stringValue == call.extensionId)
        #expect(body["recordingStartTime"]?.stringValue == call.start.iso8601 && body["creationTime"]?.stringValue == insight.createdAt.iso8601)
        #expect(body["insights"]?["Transcript"]?.arrayValue?.isEmpty == false)
        // The account's id works as well as `~`.
        let byId = driver.get("/ai/ringsense/v1/public/accounts/\(account.id)/domains/pbx/records/\(insight.recordingId)/insights")
        #expect(byId.status == 200)
        #expect(driver.get(Self.path("123")).status == 404, "a recording without insights")
    }

    /// A revised insight: first the AI Notes part (Transcript, CallNotes), then the full set with a
    /// new lastModifiedTime; the truth's revision and sha256 follow.
    @Test func someInsightsAreRevisedLater() throws {
        var driver = EngineDriver()
        try driver.login()
        let insight = try #require(Self.account(driver).insights.first { $0.createdAt > Self.start && $0.revisedAt != nil })
        Self.advance(driver, to: insight.createdAt)
        let first = driver.get(Self.path(insight.recordingId))
        let firstBody = try JSON.parse(first.body)
        #expect(firstBody["insights"]?.objectValue?.keys == ["Transcript", "CallNotes"])
        #expect(firstBody["lastModifiedTime"] == firstBody["creationTime"])
        let truthFirst = try #require(try driver.truth().first { $0["kind"] == "insight" && $0["recordingId"]?.stringValue == insight.recordingId })
        #expect(truthFirst["revision"]?.int == 1 && truthFirst["finalRevision"]?.int == 2)
        #expect(truthFirst["sha256"]?.stringValue == SHA256Hasher.hex(of: first.body) && truthFirst["size"]?.int == first.body.count)

        Self.advance(driver, to: try #require(insight.revisedAt))
        let second = driver.get(Self.path(insight.recordingId))
        let secondBody = try JSON.parse(second.body)
        #expect(secondBody["insights"]?.objectValue?.keys == SimInsight.allTypes)
        #expect(secondBody["lastModifiedTime"]?.stringValue == insight.revisedAt?.iso8601 && secondBody["creationTime"] == firstBody["creationTime"])
        let truthSecond = try #require(try driver.truth().first { $0["kind"] == "insight" && $0["recordingId"]?.stringValue == insight.recordingId })
        #expect(truthSecond["revision"]?.int == 2 && truthSecond["sha256"]?.stringValue == SHA256Hasher.hex(of: second.body))
        #expect(truthSecond["sha256"] != truthFirst["sha256"])
        let unrevised = try #require(Self.account(driver).insights.first { $0.revisedAt == nil && $0.createdAt <= Self.start })
        #expect(try driver.getJSON(Self.path(unrevised.recordingId)).1["insights"]?.objectValue?.keys == SimInsight.allTypes)
    }

    /// `insightTypes` (comma-separated, explode: false in the spec) narrows `insights`.
    @Test func insightTypesNarrowTheBody() throws {
        var driver = EngineDriver()
        try driver.login()
        let insight = try #require(Self.account(driver).insights.first { ($0.revisedAt ?? $0.createdAt) <= Self.start })
        let (_, body) = try driver.getJSON(Self.path(insight.recordingId), [("insightTypes", "Summary,NextSteps")])
        #expect(body["insights"]?.objectValue?.keys == ["Summary", "NextSteps"])
        let bad = driver.get(Self.path(insight.recordingId), [("insightTypes", "Mood")])
        let badBody = try JSON.parse(bad.body)
        #expect(bad.status == 400 && badBody["errors"]?[0]?["parameterName"] == "insightTypes")
    }

    /// Every insight in the truth is served with that sha256; none before its time.
    @Test func truthListsEveryInsightAsServed() throws {
        var driver = EngineDriver()
        try driver.login()
        let items = try driver.truth().filter { $0["kind"] == "insight" }
        let expected = Self.account(driver).insights.filter { $0.createdAt <= Self.start }
        #expect(items.count == expected.count && items.count > 5)
        for item in items {
            let response = driver.get(Self.path(item["recordingId"]?.stringValue ?? ""))
            #expect(response.status == 200 && SHA256Hasher.hex(of: response.body) == item["sha256"]?.stringValue)
        }
        let accounts = try JSON.parse(driver.get("/__sim/truth").body)["accounts"]?.arrayValue ?? []
        #expect(accounts.count == 1 && accounts[0]["ringSenseLicensed"] == .bool(true))
    }

    /// Without the RingSense licence every insights request is refused, and the truth holds none.
    @Test func anUnlicensedAccountIsRefused() throws {
        var driver = EngineDriver { $0.ringSense.allUnlicensed = true }
        try driver.login()
        let insight = try #require(Self.account(driver).insights.first { $0.createdAt <= Self.start })
        let response = driver.get(Self.path(insight.recordingId))
        #expect(response.status == 403)
        let body = try JSON.parse(response.body)
        #expect(body["errors"]?[0]?["errorCode"] == "CMN-401" && body["permissionName"] == "RingSense")
        #expect(try driver.truth().allSatisfy { $0["kind"] != "insight" })
        #expect(try JSON.parse(driver.get("/__sim/truth").body)["accounts"]?[0]?["ringSenseLicensed"] == .bool(false))

        // Per account: the second is unlicensed, the first is not.
        let two = EngineDriver { $0.accounts = 2; $0.ringSense.unlicensedAccounts = [1] }
        let truth = try two.truth().filter { $0["kind"] == "insight" }
        let ids = two.engine.credentials.map(\.accountId)
        #expect(truth.contains { $0["accountId"]?.stringValue == ids[0] } && !truth.contains { $0["accountId"]?.stringValue == ids[1] })
    }

    /// Light, as the spec's x-throttling-group; a user other than the admin lacks ReadCompanyCallRecording.
    @Test func insightsAreLightAndNeedTheCompanyRecordingPermission() throws {
        var driver = EngineDriver()
        try driver.login()
        let insight = try #require(Self.account(driver).insights.first { $0.createdAt <= Self.start })
        let response = driver.get(Self.path(insight.recordingId))
        #expect(response.headers.first { $0.name == "X-Rate-Limit-Group" }?.value == "light")
        let user = try #require(driver.credentials.extensionJwts.first { $0.extensionId != driver.credentials.ownerExtensionId })
        try driver.login(jwt: user.jwt)
        let refused = driver.get(Self.path(insight.recordingId))
        let refusedBody = try JSON.parse(refused.body)
        #expect(refused.status == 403 && refusedBody["permissionName"] == "ReadCompanyCallRecording")
    }

    /// getSessionInsights: every insight of the telephony session, with RSPagingModel paging.
    @Test func sessionInsightsListTheSessionsRecordings() throws {
        var driver = EngineDriver()
        try driver.login()
        let insight = try #require(Self.account(driver).insights.first { $0.createdAt <= Self.start })
        let (status, body) = try driver.getJSON("/ai/ringsense/v1/public/accounts/~/domains/pbx/sessions/\(insight.telephonySessionId)/insights")
        #expect(status == 200)
        #expect(body["records"]?.arrayValue?.contains { $0["sourceRecordId"]?.stringValue == insight.recordingId } == true)
        #expect(body["paging"]?["totalElements"]?.int == body["records"]?.arrayValue?.count)
    }
}
