import RinglogSupport
import Testing
@testable import RingSimulator

/// `isyncUpdates`: with `.none`, call-log ISync returns only records new since the token, never one
/// re-sent because its recording appeared or its result was finalised; the list API shows both.
@Suite struct ISyncUpdatesTests {
    enum Change { case recordingAppears, resultFinalised }

    /// A call of 2026-11-20 that changes after it becomes visible. The world depends only on the start
    /// day, so a simulator started at that call's `visibleAt` holds the same calls.
    static func lateCall(_ change: Change) throws -> SimCall {
        let account = EngineDriver().engine.state.withLock { $0.world.accounts[0] }
        let day = Timestamp(iso8601: "2026-11-20T00:00:00Z")!, dayEnd = Timestamp(iso8601: "2026-11-20T22:00:00Z")!
        return try #require(account.calls.first { call in
            guard call.start >= day, call.visibleAt < dayEnd else { return false }
            switch change {
            case .recordingAppears: return call.recording != nil
            case .resultFinalised: return call.finalizedAt != nil
            }
        })
    }

    /// FSync at the call's `visibleAt` (its change still ahead), an hour on, then ISync.
    func run(_ updates: ISyncUpdates, _ change: Change) throws -> (ids: Set<String>, expectedNew: Set<String>, late: SimCall, driver: EngineDriver) {
        let late = try Self.lateCall(change)
        let start = late.visibleAt
        var driver = EngineDriver { $0.isyncUpdates = updates; $0.startTime = start }
        try driver.login()
        let (_, full) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "10"), ("view", "Detailed")])
        let token = try #require(full["syncInfo"]?["syncToken"]?.stringValue)
        let (_, before) = try driver.getJSON(driver.accountPath + "/call-log/\(late.id)", [("view", "Detailed")])
        #expect(before["id"]?.stringValue == late.id && before["lastModifiedTime"]?.stringValue == start.iso8601, "visible, not yet changed")
        _ = driver.post("/__sim/advance", [("seconds", "3600")])
        let end = start.adding(seconds: 3600)
        #expect((late.recording?.appearsAt ?? start) <= end && (late.finalizedAt ?? start) <= end, "the change happens within the hour")
        let (status, incremental) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "ISync"), ("syncToken", token)])
        #expect(status == 200)
        let ids = Set(incremental["records"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let expectedNew = Set(account.calls.filter { $0.visibleAt > start && $0.visibleAt <= end }.map(\.id))
        return (ids, expectedNew, late, driver)
    }

    @Test(arguments: [Change.recordingAppears, .resultFinalised])
    func noneReturnsOnlyNewRecordsAndTheListShowsTheChange(_ change: Change) throws {
        let (ids, expectedNew, late, driver) = try run(.none, change)
        #expect(ids == expectedNew, "exactly the records new since the token")
        #expect(!ids.contains(late.id), "a changed record is not re-sent")
        // The list API shows the record as it is now.
        let (_, now) = try driver.getJSON(driver.accountPath + "/call-log/\(late.id)", [("view", "Detailed")])
        switch change {
        case .recordingAppears:
            let onRecord = [now["recording"]?["id"]] + (now["legs"]?.arrayValue ?? []).map { $0["recording"]?["id"] }
            #expect(onRecord.contains(.string(late.recording?.id ?? "-")))
        case .resultFinalised:
            #expect(now["result"]?.stringValue == late.result)
        }
    }

    @Test(arguments: [Change.recordingAppears, .resultFinalised])
    func allAlsoReSendsTheChangedRecord(_ change: Change) throws {
        let (ids, expectedNew, late, _) = try run(.all, change)
        #expect(ids.isSuperset(of: expectedNew))
        #expect(ids.contains(late.id))
    }
}
