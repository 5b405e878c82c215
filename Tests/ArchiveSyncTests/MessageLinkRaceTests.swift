import ArchiveExport
import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A message store whose call-log requests wait until a message attachment is downloading, and whose
/// attachment downloads wait until the call part has filed its call (its `messageLink` manifest
/// line): the two parts of a run interleave at the worst instant for the §6.7 links.
final class InterleavingSource: ArchiveSource {
    let inner: MessageStoreSource
    let manifestDirectory: String
    let attachmentStarted = Atomic<Bool>(false)
    /// Off: requests answer at once (a first run that sets up the streams).
    let interleaving = Atomic<Bool>(false)

    init(_ inner: MessageStoreSource, tenantDirectory: String) {
        self.inner = inner
        self.manifestDirectory = tenantDirectory + "/manifest"
    }

    private func waitFor(seconds: Double, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() && Date() < deadline { usleep(10_000) }
    }

    private var callIsFiled: Bool {
        let shards = (try? FileManager.default.contentsOfDirectory(atPath: manifestDirectory)) ?? []
        return shards.contains { shard in
            (try? String(contentsOfFile: manifestDirectory + "/" + shard, encoding: .utf8))?.contains("\"messageLink\"") ?? false
        }
    }

    func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        if interleaving.load(ordering: .sequentiallyConsistent) { waitFor(seconds: 10) { attachmentStarted.load(ordering: .sequentiallyConsistent) } }
        return try inner.callLogPage(dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, view: view, nextPageURI: nextPageURI)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        if interleaving.load(ordering: .sequentiallyConsistent) { waitFor(seconds: 10) { attachmentStarted.load(ordering: .sequentiallyConsistent) } }
        return try inner.callLogSync(request, view: view)
    }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                     nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        try inner.messagePage(extensionId: extensionId, types: types, dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, nextPageURI: nextPageURI)
    }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.messageSync(extensionId: extensionId, types: types, request)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        if interleaving.load(ordering: .sequentiallyConsistent) {
            attachmentStarted.store(true, ordering: .sequentiallyConsistent)
            waitFor(seconds: 10) { callIsFiled }
        }
        return try inner.downloadAttachment(uri: uri, to: descriptor)
    }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

@Suite struct MessageLinkRaceTests {
    /// The call part files a call linking a voicemail while the messages part is downloading that
    /// voicemail's audio (the two parts share the engine, the lock released inside requests): both
    /// links of §6.7 are made all the same, in that run. Each part meets its record once (an
    /// incremental run, no reconcile re-list), so no later encounter in the run can mend a missed link.
    @Test func aCallFiledWhileItsVoicemailDownloadsIsLinkedBothWays() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let call = callRecord(id: "CallToVm1", start: "2026-11-18T15:59:30.000Z", extra: [
            ("result", "Voicemail"),
            ("message", ["id": "7000000007", "type": "VoiceMail", "uri": .string(MessageShapes.base + "/7000000007")]),
        ])
        let inner = MessageStoreSource(messages: [:])
        let source = InterleavingSource(inner, tenantDirectory: fixture.directory)
        var options = SyncOptions()
        options.reconcileHours = 0
        options.deepReconcileDays = 0
        func run() throws -> SyncReport {
            let marker = try #require(try fixture.root.tenants(selecting: fixture.tenantId).first)
            return try SyncEngine(root: fixture.root, tenant: marker, source: source, options: options).run()
        }
        _ = try run()  // the streams' tokens: the next run is incremental
        inner.calls.withLock { $0 = [call] }
        inner.messages.withLock { $0 = [MessageShapes.mailbox: [MessageShapes.voicemailOldShape]] }
        inner.changes.withLock { $0 = [MessageShapes.mailbox: [MessageShapes.voicemailOldShape]] }
        source.interleaving.store(true, ordering: .sequentiallyConsistent)
        let report = try run()
        #expect(report.status == .success, "\(report.errors) \(report.failure ?? "")")
        let interleaved = source.attachmentStarted.load(ordering: .sequentiallyConsistent)
        #expect(interleaved, "the call part waited for the voicemail's download")
        let callPath = "101/2026-11-18/20261118T155930Z_call.\(try ArchiveNames.caseSafe(callId: "CallToVm1")).json"
        let messagePath = "101/2026-11-18/20261118T160000Z_vm.7000000007.json"
        #expect(try fixture.sidecar(callPath)["archive"]?["message"] == ["id": "7000000007", "type": "VoiceMail", "sidecar": .string(messagePath)])
        #expect(try fixture.sidecar(messagePath)["archive"]?["calls"] == [["id": "CallToVm1", "sidecar": .string(callPath)]])
        let verify = Verifier.verify(store: fixture.root.store(for: fixture.tenantId), options: VerifyOptions())
        #expect(verify.problems.isEmpty, "\(verify.problems.map { "\($0.kind) \($0.path) \($0.detail)" })")
    }
}
