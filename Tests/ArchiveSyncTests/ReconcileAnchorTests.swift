import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// A source whose sync time and call list a test moves between runs, with an ISync that never re-sends
/// a record (RingCentral documents ISync as returning "new records").
final class ClockedSource: ArchiveSource {
    let syncTime: Mutex<String>
    let calls: Mutex<[JSON]>
    /// Records the next ISync returns (then none).
    let newRecords = Mutex<[JSON]>([])
    let listed = Mutex<[(Timestamp, Timestamp)]>([])
    let inner: ScriptedSource

    init(syncTime: String, calls: [JSON] = []) {
        self.syncTime = Mutex(syncTime)
        self.calls = Mutex(calls)
        inner = ScriptedSource(calls: [])
    }

    var now: Timestamp { Timestamp(iso8601: syncTime.withLock { $0 })! }
    func decoded(_ records: [JSON]) -> [CallLogRecord] { records.compactMap { try? CallLogRecord(json: $0) } }

    func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        listed.withLock { $0.append((dateFrom, dateTo)) }
        return Page(records: decoded(calls.withLock { $0 }).filter { $0.startTime >= dateFrom && $0.startTime < dateTo }, nextPageURI: nil)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        if case .incremental = request {
            let records = newRecords.withLock { records in defer { records = [] }; return records }
            return SyncResult(records: decoded(records), syncToken: "token", syncTime: now, syncType: "ISync", olderRecordsExist: false)
        }
        return SyncResult(records: decoded(calls.withLock { $0 }), syncToken: "token", syncTime: now, syncType: "FSync", olderRecordsExist: false)
    }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        SyncResult(records: [], syncToken: "vm", syncTime: now, syncType: "FSync", olderRecordsExist: false)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try inner.downloadAttachment(uri: uri, to: descriptor)
    }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

/// The reconcile window exists for records that were incomplete when a run saw them (a recording
/// attached minutes later, a result finalised). Such a record is at most `--reconcile-hours` older
/// than the sync that brought it, so the window must reach back from the *previous* sync's time, not
/// from this one's: with runs 8 hours apart, a window of the last 4 hours never saw the call that
/// the previous run met without its recording (only the daily deep reconcile would, a day later, or
/// never with --deep-reconcile-days 0).
@Suite struct ReconcileAnchorTests {
    @Test func theWindowReachesBackFromThePreviousSyncWhenRunsAreFurtherApartThanIt() throws {
        let scratch = ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-20T00:00:00Z"))
        var options = SyncOptions()
        options.deepReconcileDays = 0  // the hourly window alone
        let source = ClockedSource(syncTime: "2026-11-20T10:00:00.000Z")
        _ = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()  // first run: full sync

        // Two hours later a call that started five minutes ago comes through ISync, its recording not there yet.
        source.syncTime.withLock { $0 = "2026-11-20T12:00:00.000Z" }
        let start = "2026-11-20T11:55:00.000Z"
        source.newRecords.withLock { $0 = [callRecord(id: "Late", start: start)] }
        source.calls.withLock { $0 = [callRecord(id: "Late", start: start)] }
        _ = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()

        // The recording is attached; ISync does not send the record again. The next run is 8 hours later.
        source.calls.withLock { $0 = [callRecord(id: "Late", start: start, recordingId: "1662272301",
                                                  extra: [("lastModifiedTime", "2026-11-20T12:10:00.000Z")])] }
        source.syncTime.withLock { $0 = "2026-11-20T20:00:00.000Z" }
        source.listed.withLock { $0 = [] }
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(report.counts["recordings", default: 0] == 1, "the late recording is archived: \(report.counts) lists \(source.listed.withLock { $0 })")
        let window = try #require(source.listed.withLock { $0 }.first)
        #expect(abs(window.0.secondsSinceEpoch - Timestamp(iso8601: "2026-11-20T08:00:00Z")!.secondsSinceEpoch) <= 1,
                "from the previous sync (12:00) minus 4 h: \(window.0.iso8601)")
    }
}

/// RingCentral: "Content URLs should be fetched from a response payload directly as they are subject
/// to change". A recording waiting in the pending queue is retried at the URL its record gives now,
/// not forever at the one it had when it was first met.
final class MovedMediaSource: ArchiveSource {
    let inner: ScriptedSource
    let downloaded = Mutex<[String]>([])
    init(_ inner: ScriptedSource) { self.inner = inner }
    func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        try inner.callLogPage(dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, view: view, nextPageURI: nextPageURI)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        try inner.callLogSync(request, view: view)
    }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        try inner.messagePage(extensionId: extensionId, types: types, dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, nextPageURI: nextPageURI)
    }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.messageSync(extensionId: extensionId, types: types, request)
    }
    /// The old media host no longer serves anything.
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        downloaded.withLock { $0.append(contentURI) }
        if contentURI.contains("old-media") { throw .http(status: 404, body: nil, endpoint: "content") }
        return try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try inner.downloadAttachment(uri: uri, to: descriptor)
    }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

@Suite struct MovedContentURITests {
    static func call(contentUri: String) -> JSON {
        var record = callRecord(id: "Moved", recordingId: "1662272401").objectValue!
        record["recording"] = ["id": "1662272401", "uri": "https://platform.example/recording/1662272401", "type": "Automatic",
                               "contentUri": .string(contentUri)]
        return .object(record)
    }

    @Test func aPendingRecordingIsRetriedAtTheURLItsRecordNowGives() throws {
        let scratch = ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        var options = SyncOptions()
        options.retryPendingNow = true
        let old = MovedMediaSource(ScriptedSource(calls: [Self.call(contentUri: "https://old-media.example/recording/1662272401/content")]))
        _ = try SyncEngine(root: root, tenant: tenant, source: old, options: options).run()
        #expect(try root.store(for: tenant.tenantId).loadPending().pending.count == 1)
        // The record now names another URL (and it is listed again, as the reconcile window or a revision does).
        let moved = MovedMediaSource(ScriptedSource(calls: [Self.call(contentUri: "https://media.example/recording/1662272401/content")]))
        var recordings = 0
        for _ in 0..<2 {
            recordings += try SyncEngine(root: root, tenant: tenant, source: moved, options: options).run().counts["recordings", default: 0]
        }
        #expect(recordings == 1, "archived from the new URL: \(moved.downloaded.withLock { $0 })")
        #expect(try root.store(for: tenant.tenantId).loadPending().pending.isEmpty)
    }
}

/// Finding (left open): a recording is stored once, with the first record that referenced it. While it
/// waits in the pending queue for that record's sidecar, a second record referencing it names that
/// sidecar (`storedWith`) and does not fetch it. If the first sidecar then cannot be read (damaged,
/// or written by a newer ringlog), the pending entry stays with an item error each run (§8.2) and no
/// other record takes the recording over: it is archived nowhere until the sidecar is repaired, and
/// RingCentral deletes it after 90 days (the horizon warning is the only other sign).
@Suite struct UnreadableRecordingHomeTests {
    @Test(.disabled("finding: a shared recording pending for an unreadable sidecar is never taken over by another record"))
    func aSharedRecordingWhoseHomeSidecarBecameUnreadableIsStillArchived() throws {
        let scratch = ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        var options = SyncOptions()
        options.retryPendingNow = true
        let first = callRecord(id: "TransferA", start: "2026-11-19T15:00:00.000Z", recordingId: "1662272501")
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [first], mediaStatus: 404), options: options).run()
        let store = root.store(for: tenant.tenantId)
        let home = try #require(store.loadPending().pending.first?.sidecar)
        try Data("{ damaged".utf8).write(to: URL(fileURLWithPath: root.tenantDirectory(tenant.tenantId) + "/" + home))
        // The transfer's second record, referencing the same recording, arrives; the media host now serves it.
        let second = callRecord(id: "TransferB", start: "2026-11-19T15:03:00.000Z", recordingId: "1662272501")
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [first, second]), options: options).run()
        #expect(report.counts["recordings", default: 0] == 1, "the recording is archived with a record that can hold it: \(report.errors)")
    }
}

/// "Once every 24 hours" must not become every other day under a daily cron: the run 24 hours later
/// reaches its reconcile step a few seconds earlier or later than the last one did, so a strict
/// `elapsed >= 24 h` skips the deep reconcile whenever today's run is a little faster.
@Suite struct DeepReconcileCadenceTests {
    @Test func aDailyRunSlightlyEarlierThanTwentyFourHoursStillDoesTheDeepReconcile() throws {
        let scratch = ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        let source = ScriptedSource(calls: [callRecord(id: "One")], incrementalIsEmpty: true)
        _ = try SyncEngine(root: root, tenant: tenant, source: source, options: SyncOptions()).run()
        // The last deep reconcile completed 23 h 59 min 50 s ago.
        let store = root.store(for: tenant.tenantId)
        let statePath = store.directory + "/.ringlog/state.json"
        var state = try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: statePath)))).objectValue!
        var callLog = state["callLog"]!.objectValue!
        callLog["deepReconciledAt"] = .string(Timestamp.now().adding(seconds: -(86_400 - 10)).iso8601)
        state["callLog"] = .object(callLog)
        try Data(JSON.object(state).serialized().utf8).write(to: URL(fileURLWithPath: statePath))
        source.listed.withLock { $0 = [] }
        _ = try SyncEngine(root: root, tenant: tenant, source: source, options: SyncOptions()).run()
        let window = try #require(source.listed.withLock { $0 }.first)
        #expect(window.1.secondsSinceEpoch - window.0.secondsSinceEpoch >= 7 * 86_400 - 1, "the deep window (7 days): \(window.0.iso8601) → \(window.1.iso8601)")
    }
}
