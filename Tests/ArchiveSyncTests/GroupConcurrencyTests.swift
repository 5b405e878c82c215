import ArchiveStore
import ArchiveSync
import CurlHTTP
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A source whose recording downloads take time (as Heavy's budget makes them in production) and
/// which notes when each kind of request happens.
final class PacedSource: ArchiveSource {
    let inner: ScriptedSource
    let recordingSeconds: Double
    /// A message attachment download fails with a full disk (a `RunFatalError` in the engine).
    let attachmentsHitAFullDisk: Bool
    /// (event, monotonic seconds) in order.
    let events = Mutex<[(String, Double)]>([])

    init(_ inner: ScriptedSource, recordingSeconds: Double, attachmentsHitAFullDisk: Bool = false) {
        self.inner = inner
        self.recordingSeconds = recordingSeconds
        self.attachmentsHitAFullDisk = attachmentsHitAFullDisk
    }

    private func note(_ event: String) { events.withLock { $0.append((event, monotonicSeconds())) } }
    func times(_ event: String) -> [Double] { events.withLock { $0.filter { $0.0 == event }.map(\.1) } }

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
        note("messages")
        return try inner.messagePage(extensionId: extensionId, types: types, dateFrom: dateFrom, dateTo: dateTo, perPage: perPage,
                                     nextPageURI: nextPageURI)
    }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        note("messages")
        return try inner.messageSync(extensionId: extensionId, types: types, request)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        note("recording")
        usleep(useconds_t(recordingSeconds * 1e6))
        defer { note("recordingDone") }
        return try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        note("attachment")
        if attachmentsHitAFullDisk {
            var error = TransportError(kind: .localWriteFailed, curlCode: 23, message: "Failure writing output to destination", url: "https://media.example/x")
            error.localErrno = ENOSPC
            throw .transport(error, attempts: 1)
        }
        return try inner.downloadAttachment(uri: uri, to: descriptor)
    }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

@Suite struct GroupConcurrencyTests {
    func backlog(_ count: Int) -> [JSON] {
        (0..<count).map { index in
            callRecord(id: "Backlog\(index)", start: "2026-11-1\(index % 9)T1\(index % 10):00:00.000Z", recordingId: "1662273\(1000 + index)")
        }
    }

    func makeTenant() throws -> (ScratchDirectory, ArchiveRoot, TenantMarker) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        return (scratch, root, tenant)
    }

    /// Messages (Light, Medium) do not wait for the recording backlog (Heavy): their requests go while
    /// recordings are still downloading, and everything is archived as before.
    @Test func messagesAreReadWhileTheRecordingBacklogDownloads() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = PacedSource(ScriptedSource(calls: backlog(16), messages: [voicemailRecord(id: "700001", extensionId: "101000")]),
                                 recordingSeconds: 0.05)
        let report = try SyncEngine(root: root, tenant: tenant, source: source).run()
        #expect(report.failure == nil && report.errors.isEmpty, "\(report.failure ?? "") \(report.errors)")
        #expect(report.counts["recordings"] == 16 && report.counts["voicemails"] == 1, "\(report.counts)")
        let lastRecordingStarted = try #require(source.times("recording").max())
        let firstMessages = try #require(source.times("messages").min())
        let attachment = try #require(source.times("attachment").min())
        #expect(firstMessages < lastRecordingStarted && attachment < lastRecordingStarted,
                "the messages part ran while recordings downloaded (messages at \(firstMessages), attachment at \(attachment), last recording at \(lastRecordingStarted))")
        // A second run writes nothing and the archive is whole.
        let again = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: backlog(16),
                                                                                       messages: [voicemailRecord(id: "700001", extensionId: "101000")])).run()
        #expect(again.counts["recordings", default: 0] == 0 && again.counts["voicemails", default: 0] == 0 && again.errors.isEmpty, "\(again.counts)")
    }

    /// A failure that stops the run in one part (a full disk under a message attachment) stops the
    /// other part too, at its next item, and is the run's reported cause (not "interrupted").
    @Test func aFatalErrorInOnePartStopsTheOtherAndIsTheCause() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = PacedSource(ScriptedSource(calls: backlog(40), messages: [voicemailRecord(id: "700001", extensionId: "101000")]),
                                 recordingSeconds: 0.05, attachmentsHitAFullDisk: true)
        let report = try SyncEngine(root: root, tenant: tenant, source: source).run()
        #expect(report.status == .failed, "\(report.status)")
        #expect((report.failure ?? "").contains("disk full"), "the full disk is the cause: \(report.failure ?? "")")
        #expect(source.times("recording").count < 40, "the call-log part stopped early: \(source.times("recording").count) of 40 downloads")
        let queue = try root.store(for: tenant.tenantId).loadPending()
        #expect(!queue.pending.contains { $0.kind == .voicemail && $0.attempts > 0 }, "no attempt counted against the voicemail")
        // What was archived is durable and whole: the next run completes the rest.
        let next = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: backlog(40),
                                                                                      messages: [voicemailRecord(id: "700001", extensionId: "101000")])).run()
        #expect(next.failure == nil && next.errors.isEmpty, "\(next.failure ?? "") \(next.errors)")
        let recordings = try Manifest.sidecarPaths(tenantDirectory: root.tenantDirectory(tenant.tenantId)).count
        #expect(recordings >= 41, "every call and the voicemail have a sidecar: \(recordings)")
        #expect(source.times("recording").count + (next.counts["recordings"] ?? 0) >= 40)
    }
}
