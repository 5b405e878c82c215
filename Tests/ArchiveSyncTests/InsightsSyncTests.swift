import ArchivePasses
import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A RingSense answer the double gives for a recording.
enum InsightsAnswer: Sendable {
    case notReady
    case body(String)
    case refused(status: Int, body: String)
}

/// An account whose calls started around now (the engine's clock is the real one: the reconcile window
/// and the insights bound are measured from it), with RingSense insights served as a test sets them.
final class InsightsSource: ArchiveSource {
    let calls: Mutex<[JSON]>
    let answers = Mutex<[String: InsightsAnswer]>([:])
    /// Every insights request: recording id, in order.
    let asked = Mutex<[String]>([])
    /// Recording downloads completed.
    let recordingsDownloaded = Mutex(0)
    /// Insights requests wait until this many recordings were downloaded (or `gateSeconds` pass: then `gateTimedOut`).
    let gateOnRecordings: Int?
    let gateSeconds: Double
    let gateTimedOut = Mutex(false)
    let inner = ScriptedSource(calls: [])

    init(calls: [JSON], gateOnRecordings: Int? = nil, gateSeconds: Double = 10) {
        self.calls = Mutex(calls)
        self.gateOnRecordings = gateOnRecordings
        self.gateSeconds = gateSeconds
    }

    var servesInsights: Bool { true }
    func decoded() -> [CallLogRecord] { calls.withLock { $0 }.compactMap { try? CallLogRecord(json: $0) } }

    func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        Page(records: decoded().filter { $0.startTime >= dateFrom && $0.startTime < dateTo }, nextPageURI: nil)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        // ISync re-sends nothing (RingCentral documents "new records"): only the reconcile window meets a call again.
        if case .incremental = request { return SyncResult(records: [], syncToken: "t", syncTime: Timestamp.now(), syncType: "ISync", olderRecordsExist: false) }
        return SyncResult(records: decoded(), syncToken: "t", syncTime: Timestamp.now(), syncType: "FSync", olderRecordsExist: false)
    }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                     nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        SyncResult(records: [], syncToken: "vm", syncTime: Timestamp.now(), syncType: "FSync", olderRecordsExist: false)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        defer { recordingsDownloaded.withLock { $0 += 1 } }
        return try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try inner.downloadAttachment(uri: uri, to: descriptor)
    }
    func recordingInsights(recordingId: String) throws(RingCentralError) -> RecordingInsights? {
        asked.withLock { $0.append(recordingId) }
        if let gate = gateOnRecordings {
            let end = monotonicSeconds() + gateSeconds
            while recordingsDownloaded.withLock({ $0 }) < gate {
                guard monotonicSeconds() < end else {
                    gateTimedOut.withLock { $0 = true }
                    break
                }
                usleep(5_000)
            }
        }
        switch answers.withLock({ $0[recordingId] }) ?? .notReady {
        case .notReady: return nil
        case .body(let text): return RecordingInsights(bytes: Array(text.utf8))
        case .refused(let status, let body):
            throw .http(status: status, body: APIErrorBody(bytes: Array(body.utf8)), endpoint: RingCentralClient.insightsEndpoint)
        }
    }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

@Suite struct InsightsSyncTests {
    /// RingCentral's `RecordingInsights` shape (spec: getRecordingInsights), with a field ringlog does not know.
    static func insights(_ recordingId: String, summary: String = "The caller asked about an invoice.", modified: String = "2026-11-19T15:09:00.000Z") -> String {
        #"{"title":"Call from +15550100 to 101","rsRecordUri":"https://ringsense.ringcentral.com/calls/2e67979e","domain":"pbx","sourceRecordId":"\#(recordingId)","sourceSessionId":"s-a0d17","callDirection":"Inbound","ownerExtensionId":"101000","recordingDurationMs":112000,"recordingStartTime":"2026-11-19T15:00:00.000Z","creationTime":"2026-11-19T15:05:00.000Z","lastModifiedTime":"\#(modified)","speakerInfo":[{"speakerId":"p-1","name":"Ann","phoneNumber":"+15550100"},{"speakerId":"p-2","extensionId":"101000"}],"insights":{"Transcript":[{"speakerId":"p-1","text":"Hello, about my invoice","start":0.5,"end":2.25}],"Summary":[{"value":"\#(summary)","start":0.5,"end":110.0}],"Highlights":[{"speakerId":"p-1","value":"invoice 42","start":1.2,"end":2.0}],"NextSteps":[{"speakerId":"p-2","value":"Send a copy","start":90,"end":95}],"BulletedSummary":[{"value":"Invoice question","section":"Topics"}],"AIScore":[{"value":"7"}],"CallNotes":[{"value":"Customer since 2019"}],"Sentiment":[{"value":"Neutral"}]},"aNewerField":{"x":1}}"#
    }

    static func recentCall(_ index: Int, hoursAgo: Double = 1) -> JSON {
        let start = Timestamp.now().adding(seconds: -hoursAgo * 3600 - Double(index) * 60)
        return callRecord(id: "Insight\(index)", start: start.iso8601, recordingId: "16622730\(10 + index)")
    }

    static func makeTenant(insights: InsightsSetting? = nil) throws -> (ScratchDirectory, ArchiveRoot, TenantMarker) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp.now().adding(seconds: -30 * 86_400),
                                        insights: insights)
        return (scratch, root, tenant)
    }

    /// The call's sidecar, and its folder, relative to the tenant directory.
    static func sidecar(_ root: ArchiveRoot, _ tenant: TenantMarker) throws -> (path: String, sidecar: Sidecar) {
        let paths = try Manifest.sidecarPaths(tenantDirectory: root.tenantDirectory(tenant.tenantId))
        let path = try #require(paths.first)
        return (path, try #require(try root.store(for: tenant.tenantId).loadSidecar(path)))
    }

    static func manifestLines(_ root: ArchiveRoot, _ tenant: TenantMarker) throws -> [JSON] {
        let directory = root.tenantDirectory(tenant.tenantId) + "/manifest"
        var lines: [JSON] = []
        for name in DurableFiles.list(directory) where name.hasSuffix(".jsonl") {
            try DurableFiles.forEachLine(directory + "/" + name) { lines.append(try JSON.parse($0)) }
        }
        return lines
    }

    static func run(_ root: ArchiveRoot, _ tenant: TenantMarker, _ source: InsightsSource, _ configure: (inout SyncOptions) -> Void = { _ in }) throws -> SyncReport {
        var options = SyncOptions()
        options.deepReconcileDays = 0
        configure(&options)
        let marker = try root.store(for: tenant.tenantId).marker()  // the setting as tenant.json has it now
        return try SyncEngine(root: root, tenant: marker, source: source, options: options).run()
    }

    @Test func insightsAreArchivedVerbatimBesideTheRecordingAndListedInItsSidecar() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        let body = Self.insights("1662273011")
        source.answers.withLock { $0["1662273011"] = .body(body) }
        let report = try Self.run(root, tenant, source)
        #expect(report.status == .success && report.errors.isEmpty && report.warnings.isEmpty, "\(report.status) \(report.errors) \(report.warnings)")
        #expect(report.counts["recordings"] == 1 && report.counts["insights"] == 1 && report.counts["insightsRevised", default: 0] == 0, "\(report.counts)")
        let (path, sidecar) = try Self.sidecar(root, tenant)
        let folder = DurableFiles.parentDirectory(of: path)
        let recording = try #require(sidecar.media.first { $0.kind == .recording })
        let entry = try #require(sidecar.media.first { $0.kind == .insights })
        let base = String(recording.file.dropLast(4))
        #expect(entry.file == base + ".insights.json" && entry.id == "1662273011" && entry.contentType == "application/json", "\(entry)")
        let stored = try DurableFiles.read(root.tenantDirectory(tenant.tenantId) + "/" + folder + "/" + entry.file)
        #expect(stored == Array(body.utf8), "byte for byte as RingCentral sent it")
        #expect(entry.sha256 == SHA256Hasher.hex(of: stored) && entry.size == Int64(stored.count))
        #expect(ItemFileName(entry.file) == .insights(revision: 1), "the reader classifies it: verify does not call it an orphan")
        let line = try #require(try Self.manifestLines(root, tenant).first { $0["kind"] == "insights" })
        #expect(line["recordingId"] == "1662273011" && line["path"]?.stringValue == folder + "/" + entry.file && line["sha256"]?.stringValue == entry.sha256)
        // Kept queued for a revision check (6 hours on for an hour-old call), not due now.
        let queued = try root.store(for: tenant.tenantId).loadPending().insights
        #expect(queued.map(\.mediaId) == ["1662273011"] && queued[0].lastError.isEmpty, "\(queued)")
        let wait = try #require(queued.first).nextAttemptAt.secondsSinceEpoch - Timestamp.now().secondsSinceEpoch
        #expect((5.9 * 3600...6.1 * 3600).contains(wait), "asked again in \(wait) s")
        let logged = try String(decoding: DurableFiles.read(root.tenantDirectory(tenant.tenantId) + "/logs/runs.jsonl"), as: UTF8.self)
        #expect(logged.contains(#""insights":1,"insightsRevised":0"#), "\(logged)")
    }

    @Test func aRevisedBodyIsANewRevisionAndAnIdenticalOneWritesNothing() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        let first = Self.insights("1662273011")
        source.answers.withLock { $0["1662273011"] = .body(first) }
        _ = try Self.run(root, tenant, source)
        let (path, before) = try Self.sidecar(root, tenant)
        let sidecarBytes = try DurableFiles.read(root.tenantDirectory(tenant.tenantId) + "/" + path)
        // The reconcile window meets the call again: asked, the same body, nothing written.
        let same = try Self.run(root, tenant, source)
        #expect(source.asked.withLock { $0.count } == 2, "asked again in the reconcile window: \(source.asked.withLock { $0 })")
        #expect(same.counts["insights", default: 0] == 0 && same.counts["insightsRevised", default: 0] == 0, "\(same.counts)")
        #expect(try DurableFiles.read(root.tenantDirectory(tenant.tenantId) + "/" + path) == sidecarBytes, "the sidecar is not rewritten")
        // RingCentral revised them: a new file, the first kept as it was.
        let revised = Self.insights("1662273011", summary: "The caller disputed invoice 42.", modified: "2026-11-19T16:00:00.000Z")
        source.answers.withLock { $0["1662273011"] = .body(revised) }
        let report = try Self.run(root, tenant, source)
        #expect(report.counts["insightsRevised"] == 1 && report.counts["insights", default: 0] == 0, "\(report.counts)")
        let (_, after) = try Self.sidecar(root, tenant)
        let files = after.media.filter { $0.kind == .insights }.map(\.file)
        let base = String(try #require(before.media.first { $0.kind == .recording }).file.dropLast(4))
        #expect(files == [base + ".insights.json", base + ".insights.r2.json"], "\(files)")
        let folder = root.tenantDirectory(tenant.tenantId) + "/" + DurableFiles.parentDirectory(of: path)
        #expect(try DurableFiles.read(folder + "/" + base + ".insights.json") == Array(first.utf8))
        #expect(try DurableFiles.read(folder + "/" + base + ".insights.r2.json") == Array(revised.utf8))
        #expect(ItemFileName(base + ".insights.r2.json") == .insights(revision: 2))
        #expect(try Self.manifestLines(root, tenant).filter { $0["kind"] == "insights" }.count == 2)
    }

    /// Insights retention removed (their own period, §14) are not asked for or written again when the
    /// reconcile window meets the call: the `insights` tombstone, by recording id, says so (§14.8).
    @Test func insightsAPassRemovedAreNotFetchedAgain() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1, hoursAgo: 50)])
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011")) }
        let wide: (inout SyncOptions) -> Void = { $0.reconcileHours = 72 }
        _ = try Self.run(root, tenant, source, wide)
        #expect(source.asked.withLock { $0 } == ["1662273011"])
        let store = try root.store(for: tenant.tenantId)
        _ = try Policy.set(store: store, changes: .init(calls: "6y", recordings: "1y", insights: "1d"), reason: "p", context: PassContext(actor: "t@h"))
        let purge = try Purge.run(store: store, dryRun: false, maxDelete: nil, context: PassContext(actor: "t@h"))
        #expect(purge.json["removed"]?["files"]?.int64Value == 1, "\(purge.lines)")
        #expect(try Self.sidecar(root, tenant).sidecar.media.filter { $0.kind == .insights }.isEmpty)
        // RingCentral revised them meanwhile: still not archived again.
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011", summary: "Revised.")) }
        let report = try Self.run(root, tenant, source, wide)
        #expect(source.asked.withLock { $0 } == ["1662273011"], "not asked again: \(source.asked.withLock { $0 })")
        #expect(report.counts["insights", default: 0] == 0 && report.counts["insightsRevised", default: 0] == 0, "\(report.counts)")
        #expect(report.counts["tombstoned"] == 1, "\(report.counts)")
        #expect(report.errors.isEmpty, "\(report.errors)")
        let (_, sidecar) = try Self.sidecar(root, tenant)
        #expect(sidecar.media.filter { $0.kind == .insights }.isEmpty, "\(sidecar.media.map(\.file))")
        #expect(try store.loadPending().insights.isEmpty, "the request leaves the queue")
    }

    @Test func notReadyIsAskedAgainInALaterRunWithinTheWindowWithoutAnError() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        let first = try Self.run(root, tenant, source)
        #expect(first.status == .success && first.errors.isEmpty && first.warnings.isEmpty, "a recording without insights is no error: \(first.errors)")
        let queue = try root.store(for: tenant.tenantId).loadPending()
        #expect(queue.pending.isEmpty && queue.insights.map(\.mediaId) == ["1662273011"] && queue.insights[0].attempts == 1, "\(queue.insights)")
        #expect(first.pending == 0, "not counted as pending media")
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011")) }
        let later = try Self.run(root, tenant, source)
        #expect(later.counts["insights"] == 1 && later.errors.isEmpty, "\(later.counts) \(later.errors)")
        #expect(source.asked.withLock { $0 } == ["1662273011", "1662273011"])
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.allSatisfy { $0.nextAttemptAt > Timestamp.now() && $0.lastError.isEmpty },
                "answered: queued only for a later revision check")
    }

    /// RingSense revises insights hours to days after the call, beyond the reconcile window of any one
    /// run: archived insights are asked for again after as long as the call's age (6 hours at least, a
    /// day at most) until the bound, and a revision made a day later becomes a new file.
    @Test func aRevisionMadeADayLaterOutsideTheReconcileWindowIsArchived() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011")) }
        _ = try Self.run(root, tenant, source)
        // Later runs whose reconcile window does not reach the call (0 here, to say so exactly); RingSense revised the summary.
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011", summary: "Revised.", modified: "2026-11-20T15:00:00.000Z")) }
        let early = try Self.run(root, tenant, source) { $0.clockOffsetSeconds = 3 * 3600; $0.reconcileHours = 0 }
        #expect(early.counts["insightsRevised", default: 0] == 0 && source.asked.withLock { $0.count } == 1, "not due yet: \(source.asked.withLock { $0 })")
        let later = try Self.run(root, tenant, source) { $0.clockOffsetSeconds = 30 * 3600; $0.reconcileHours = 0 }
        #expect(later.counts["insightsRevised"] == 1 && later.errors.isEmpty, "\(later.counts) \(later.errors)")
        #expect(source.asked.withLock { $0.count } == 2)
        let next = try #require(try root.store(for: tenant.tenantId).loadPending().insights.first).nextAttemptAt.secondsSinceEpoch
        #expect(abs(next - Timestamp.now().adding(seconds: 30 * 3600 + 86_400).secondsSinceEpoch) < 120, "a day on for a call over a day old")
        // Past the bound: dropped in silence, never asked again.
        let past = try Self.run(root, tenant, source) { $0.clockOffsetSeconds = 8 * 86_400; $0.reconcileHours = 0; $0.retryPendingNow = true }
        #expect(past.errors.isEmpty && source.asked.withLock { $0.count } == 2, "\(past.errors) \(source.asked.withLock { $0 })")
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.isEmpty)
    }

    /// An answered entry whose last revision check failed (HTTP 500) leaves the queue at the bound with
    /// no item error: its insights are archived (it said "RingSense insights not archived" and made the
    /// run partial, for a recording whose insights the archive holds).
    @Test func aFailedRevisionCheckAtTheBoundIsNoItemError() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011")) }
        let first = try Self.run(root, tenant, source)
        #expect(first.counts["insights"] == 1 && first.errors.isEmpty, "\(first.counts) \(first.errors)")
        source.answers.withLock { $0["1662273011"] = .refused(status: 500, body: #"{"errorCode":"CMN-201","message":"Service temporary unavailable"}"#) }
        let failed = try Self.run(root, tenant, source) { $0.clockOffsetSeconds = 6.5 * 86_400; $0.reconcileHours = 0 }
        #expect(source.asked.withLock { $0.count } == 2 && failed.errors.isEmpty, "\(failed.errors)")
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.first?.lastError.contains("500") == true)
        let past = try Self.run(root, tenant, source) { $0.clockOffsetSeconds = 8 * 86_400; $0.reconcileHours = 0 }
        #expect(past.errors.isEmpty && past.status == .success, "\(past.errors)")
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.isEmpty)
    }

    /// Past the bound (7 days after the call) a recording is not asked again, even where the reconcile
    /// window re-lists its call; the first request, when the recording is archived, is made whatever its age.
    @Test func pastTheBoundARecordingIsNotAskedAgain() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1, hoursAgo: 8 * 24)])
        let first = try Self.run(root, tenant, source)
        #expect(source.asked.withLock { $0.count } == 1, "asked once, when archived")
        #expect(first.errors.isEmpty && first.status == .success, "\(first.errors)")
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.isEmpty, "dropped without an error")
        // A window that re-lists the 8-day-old call, and every pending item due: still no request.
        let again = try Self.run(root, tenant, source) {
            $0.reconcileHours = 9 * 24
            $0.retryPendingNow = true
        }
        #expect(source.asked.withLock { $0.count } == 1, "\(source.asked.withLock { $0 })")
        #expect(again.errors.isEmpty)
    }

    /// A recording archived while insights were off is not asked about once they are on, past the bound.
    @Test func aRecordingArchivedWhileOffIsNotAskedPastTheBound() throws {
        let (scratch, root, tenant) = try Self.makeTenant(insights: .off)
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1, hoursAgo: 8 * 24), Self.recentCall(2, hoursAgo: 2)])
        _ = try Self.run(root, tenant, source)
        #expect(source.asked.withLock { $0.isEmpty }, "off: never asked")
        var marker = try root.store(for: tenant.tenantId).marker()
        marker.insights = .auto
        try DurableFiles.writeAtomically(root.tenantDirectory(tenant.tenantId) + "/tenant.json", marker.bytes)
        _ = try Self.run(root, tenant, source) { $0.reconcileHours = 9 * 24 }
        #expect(source.asked.withLock { $0 } == ["1662273012"], "only the recent one: \(source.asked.withLock { $0 })")
    }

    @Test func offAsksNothingAndForgetsWhatWasQueued() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        _ = try Self.run(root, tenant, source)
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.count == 1)
        var marker = try root.store(for: tenant.tenantId).marker()
        marker.insights = .off
        try DurableFiles.writeAtomically(root.tenantDirectory(tenant.tenantId) + "/tenant.json", marker.bytes)
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011")) }
        let report = try Self.run(root, tenant, source) { $0.retryPendingNow = true }
        #expect(source.asked.withLock { $0.count } == 1, "no request with insights off")
        #expect(report.counts["insights", default: 0] == 0)
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.isEmpty)
    }

    static let unlicensed = #"{"errorCode":"CMN-401","message":"In order to call this API endpoint, application needs to have [RingSense] permission","permissionName":"RingSense","errors":[{"errorCode":"CMN-401","message":"In order to call this API endpoint, application needs to have [RingSense] permission","permissionName":"RingSense"}]}"#

    @Test func anAccountWithoutRingSenseInAutoIsOneWarningNotAnErrorPerRecording() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: (1...4).map { Self.recentCall($0) })
        source.answers.withLock { answers in for index in 1...4 { answers["16622730\(10 + index)"] = .refused(status: 403, body: Self.unlicensed) } }
        let report = try Self.run(root, tenant, source)
        #expect(report.status == .success, "not partial: \(report.status) \(report.errors)")
        #expect(report.errors.isEmpty && report.counts["itemErrors", default: 0] == 0)
        #expect(report.counts["recordings"] == 4)
        let warnings = report.warnings.filter { $0.contains("RingSense") }
        #expect(warnings.count == 1 && report.warnings.count == 1, "\(report.warnings)")
        #expect(warnings.first?.hasPrefix("RingSense insights not available for this account: the app lacks the [RingSense] permission") == true
                && warnings.first?.contains("set `--insights off`") == true, "\(warnings)")
        #expect(source.asked.withLock { $0.count } == 1, "asked once, then off for the run: \(source.asked.withLock { $0 })")
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.isEmpty)
        let logged = try String(decoding: DurableFiles.read(root.tenantDirectory(tenant.tenantId) + "/logs/runs.jsonl"), as: UTF8.self)
        #expect(logged.contains("RingSense insights not available for this account"), "in the run log")
        #expect(!DurableFiles.exists(root.tenantDirectory(tenant.tenantId) + "/logs/errors.jsonl"))
    }

    @Test func onMakesTheMissingLicenceAnItemErrorOncePerRun() throws {
        let (scratch, root, tenant) = try Self.makeTenant(insights: .on)
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: (1...3).map { Self.recentCall($0) })
        source.answers.withLock { answers in for index in 1...3 { answers["16622730\(10 + index)"] = .refused(status: 403, body: Self.unlicensed) } }
        let report = try Self.run(root, tenant, source)
        #expect(report.status == .partial, "\(report.status)")
        #expect(report.counts["itemErrors"] == 1 && report.errors.count == 1, "\(report.errors)")
        #expect(report.errors.first?.contains("[RingSense] permission") == true && report.errors.first?.contains("--insights on") == true)
        #expect(source.asked.withLock { $0.count } == 1)
        let kept = try root.store(for: tenant.tenantId).loadPending().insights
        #expect(!kept.isEmpty, "kept for when the permission is added")
    }

    /// The recordings (Heavy) never wait for the insights (Light): with every insights request held
    /// until all recordings are downloaded, the run still completes both.
    @Test func theRecordingsPartIsNotDelayedByInsights() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: (1...6).map { Self.recentCall($0) }, gateOnRecordings: 6, gateSeconds: 8)
        source.answers.withLock { answers in for index in 1...6 { answers["16622730\(10 + index)"] = .body(Self.insights("16622730\(10 + index)")) } }
        let report = try Self.run(root, tenant, source)
        #expect(!source.gateTimedOut.withLock { $0 }, "an insights request waited for recordings that never came: the recordings waited for it")
        #expect(report.counts["recordings"] == 6 && report.counts["insights"] == 6 && report.errors.isEmpty, "\(report.counts) \(report.errors)")
    }

    /// A crash after an insights file was renamed into place but before its sidecar and manifest line:
    /// the next run adopts the file (no second copy), and a missing manifest line is appended again.
    @Test func aCrashBetweenTheInsightsFileAndItsManifestLineIsAdoptedNextRun() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        _ = try Self.run(root, tenant, source)  // not ready: queued
        let (path, sidecar) = try Self.sidecar(root, tenant)
        let folder = root.tenantDirectory(tenant.tenantId) + "/" + DurableFiles.parentDirectory(of: path)
        let base = String(try #require(sidecar.media.first { $0.kind == .recording }).file.dropLast(4))
        // What the crashed run left: the complete file under its final name, nothing else.
        let body = Self.insights("1662273011")
        try DurableFiles.writeAtomically(folder + "/" + base + ".insights.json", Array(body.utf8))
        source.answers.withLock { $0["1662273011"] = .body(body) }
        let report = try Self.run(root, tenant, source) { $0.retryPendingNow = true }
        #expect(report.counts["insights"] == 1 && report.errors.isEmpty, "\(report.counts) \(report.errors)")
        let (_, adopted) = try Self.sidecar(root, tenant)
        #expect(adopted.media.filter { $0.kind == .insights }.map(\.file) == [base + ".insights.json"], "\(adopted.media)")
        #expect(!DurableFiles.exists(folder + "/" + base + ".insights.r2.json"), "not written twice")
        #expect(adopted.media.first { $0.kind == .insights }?.sha256 == SHA256Hasher.hex(of: Array(body.utf8)))
        // The manifest line lost (a crash between the sidecar and the line): the next request puts it back.
        let shard = try #require(DurableFiles.list(root.tenantDirectory(tenant.tenantId) + "/manifest").first { $0.hasSuffix(".jsonl") })
        let shardPath = root.tenantDirectory(tenant.tenantId) + "/manifest/" + shard
        let kept = try String(decoding: DurableFiles.read(shardPath), as: UTF8.self).split(separator: "\n").filter { !$0.contains(#""kind":"insights""#) }
        try DurableFiles.writeAtomically(shardPath, Array((kept.joined(separator: "\n") + "\n").utf8))
        _ = try Self.run(root, tenant, source)  // the reconcile window asks again: the same body
        #expect(try Self.manifestLines(root, tenant).filter { $0["kind"] == "insights" }.count == 1)
        #expect(source.asked.withLock { $0.count } == 3)
    }

    /// A queued recording whose sidecar cannot be read fails once in the run (the part does not spin on it) and stays queued.
    @Test(.timeLimit(.minutes(1))) func aQueuedRecordingWhoseSidecarCannotBeReadFailsOncePerRun() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1)])
        _ = try Self.run(root, tenant, source)  // not ready: queued
        let (path, _) = try Self.sidecar(root, tenant)
        try DurableFiles.writeAtomically(root.tenantDirectory(tenant.tenantId) + "/" + path, Array("{not json".utf8))
        let report = try Self.run(root, tenant, source) { $0.retryPendingNow = true }
        #expect(report.errors.filter { $0.contains("RingSense insights") }.count == 1, "\(report.errors)")
        #expect(source.asked.withLock { $0.count } == 1, "not asked without its sidecar")
        #expect(try root.store(for: tenant.tenantId).loadPending().insights.count == 1, "kept until the sidecar can be read")
    }

    /// A recording the reconcile window archives (a window the next run does not repeat for its own sake):
    /// its first insights request is durable (pending.json) before its sidecar lists the recording, so a
    /// crash in between cannot lose it. Seen from the second recording of one call: when its download
    /// starts, the first is archived, its sidecar not yet written.
    @Test func theInsightsRequestOfARecordingTheReconcileWindowArchivesIsDurableBeforeItsSidecarListsIt() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [])
        let store = root.store(for: tenant.tenantId)
        _ = try SyncEngine(root: root, tenant: try store.marker(), source: source, options: SyncOptions()).run()
        // The call appears in the log after that run, hours back (ISync does not send it): only the reconcile window meets it.
        var record = Self.recentCall(1).objectValue!
        record["legs"] = [["recording": ["id": "1662273099", "uri": "https://platform.example/recording/x", "type": "Automatic",
                                         "contentUri": "https://media.example/recording/1662273099/content"]]]
        source.calls.withLock { $0 = [.object(record)] }
        let seen = Mutex<[[String]]>([])
        let spy = SpyingSource(source) { seen.withLock { $0.append(((try? store.loadPending())?.insights ?? []).map(\.mediaId)) } }
        let report = try SyncEngine(root: root, tenant: try store.marker(), source: spy).run()
        #expect(report.counts["recordings"] == 2, "\(report.counts) \(report.errors)")
        let atDownloads = seen.withLock { $0 }
        #expect(atDownloads.count == 2 && atDownloads[1] == ["1662273011"], "pending.json at each download: \(atDownloads)")
    }

    /// A pending download retried by a run that crashed after the sidecar listed the file but before the
    /// flush: the queue (on disk) still has the entry, the shard lacks the file's line, and no listing meets
    /// the call again (it is past the reconcile window). The retry writes the line before the entry leaves.
    @Test func aRetriedDownloadWhoseManifestLineACrashLostGetsItBack() throws {
        let (scratch, root, tenant) = try Self.makeTenant(insights: .off)
        defer { withExtendedLifetime(scratch) {} }
        let call = Self.recentCall(1, hoursAgo: 20 * 24)
        let source = InsightsSource(calls: [call])
        _ = try Self.run(root, tenant, source)
        let store = root.store(for: tenant.tenantId)
        let (path, sidecar) = try Self.sidecar(root, tenant)
        #expect(sidecar.hasMedia(kind: .recording, id: "1662273011"))
        // What the crash left: the line of the recording gone from its shard, the entry still queued.
        let shards = store.path("manifest")
        for name in DurableFiles.list(shards) {
            let kept = try DurableFiles.read(shards + "/" + name).split(separator: 0x0A).filter { !String(decoding: $0, as: UTF8.self).contains(#""kind":"recording""#) }
            try DurableFiles.writeAtomically(shards + "/" + name, Array(kept.map { Array($0) + [0x0A] }.joined()))
        }
        #expect(try Self.manifestLines(root, tenant).filter { $0["kind"] == "recording" }.isEmpty)
        var queue = try store.loadPending()
        queue.pending.append(PendingItem(kind: .recording, mediaId: "1662273011", sidecar: path, uri: "https://media.example/recording/1662273011/content",
                                         startTime: sidecar.startTime, attempts: 1, firstSeenAt: Timestamp.now(), nextAttemptAt: Timestamp.now(),
                                         lastError: "not ready (HTTP 404)", quarantinedAt: nil))
        try DurableFiles.writeAtomically(store.pendingPath, queue.bytes)
        _ = try Self.run(root, tenant, source) { $0.retryPendingNow = true }
        #expect(try store.loadPending().pending.isEmpty)
        #expect(try Self.manifestLines(root, tenant).filter { $0["kind"] == "recording" }.count == 1, "the line is back")
    }

    /// A run that archived a recording's insights and crashed before its checkpoint lost the entry that waits
    /// for the revision check (§6.9). The next run, listing the call again, schedules that check again.
    @Test func aRevisionCheckACrashLostIsScheduledAgain() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1, hoursAgo: 30)])
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011")) }
        _ = try Self.run(root, tenant, source)
        let store = root.store(for: tenant.tenantId)
        #expect(try store.loadPending().insights.map(\.mediaId) == ["1662273011"], "kept for its revision check")
        unlink(store.statePath)
        unlink(store.pendingPath)
        _ = try Self.run(root, tenant, source)
        let entry = try #require(try store.loadPending().insights.first { $0.mediaId == "1662273011" }, "scheduled again")
        #expect(entry.nextAttemptAt > Timestamp.now().adding(seconds: 3600), "not asked at once: at the check's time")
        #expect(source.asked.withLock { $0.count } == 1)
    }

    /// A recording archived by a listing the next run repeats until it is checkpointed (FSync, a backfill
    /// window, ISync) has its insights request made durable with that checkpoint, not before its sidecar:
    /// a crash in between loses it, and the next run, listing the call again, queues it anew, whatever
    /// the call's age (layout-spec §6.9). Without a crash nothing is asked twice.
    @Test func anInsightsRequestACrashLostIsQueuedAgainWhenTheCallIsListedAgain() throws {
        let (scratch, root, tenant) = try Self.makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = InsightsSource(calls: [Self.recentCall(1, hoursAgo: 20 * 24)])  // past the bound: only a first request is made
        _ = try Self.run(root, tenant, source)
        #expect(source.asked.withLock { $0 } == ["1662273011"])
        let store = root.store(for: tenant.tenantId)
        #expect(try store.loadPending().insights.isEmpty, "not ready, past the bound: not asked again")
        _ = try Self.run(root, tenant, source)
        #expect(source.asked.withLock { $0.count } == 1, "a run after a completed one does not ask again")
        // What a crash after the sidecar and before the first run's first checkpoint leaves: the sidecar listing
        // the recording, and neither state (the backfill not begun) nor the queue.
        unlink(store.statePath)
        unlink(store.pendingPath)
        source.answers.withLock { $0["1662273011"] = .body(Self.insights("1662273011")) }
        let report = try Self.run(root, tenant, source)
        #expect(source.asked.withLock { $0 } == ["1662273011", "1662273011"], "asked again: the crash lost the request")
        #expect(report.counts["insights"] == 1, "\(report.counts) \(report.errors)")
        #expect(try Self.sidecar(root, tenant).sidecar.media.contains { $0.kind == .insights })
    }
}

/// Runs `beforeDownload` at each recording download, then forwards to `inner`.
final class SpyingSource: ArchiveSource {
    let inner: InsightsSource
    let beforeDownload: @Sendable () -> Void
    init(_ inner: InsightsSource, beforeDownload: @escaping @Sendable () -> Void) {
        self.inner = inner
        self.beforeDownload = beforeDownload
    }
    var servesInsights: Bool { true }
    func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        try inner.callLogPage(dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, view: view, nextPageURI: nextPageURI)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> { try inner.callLogSync(request, view: view) }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                     nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.messageSync(extensionId: extensionId, types: types, request)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        beforeDownload()
        return try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload { try inner.downloadAttachment(uri: uri, to: descriptor) }
    func recordingInsights(recordingId: String) throws(RingCentralError) -> RecordingInsights? {
        try inner.recordingInsights(recordingId: recordingId)
    }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}
