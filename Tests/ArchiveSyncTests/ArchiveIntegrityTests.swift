import ArchiveStore
import ArchiveSync
import CurlHTTP
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// A scripted source whose media downloads a test decides.
final class ControlledSource: ArchiveSource {
    let inner: ScriptedSource
    let onDownload: @Sendable (Int32) throws(RingCentralError) -> MediaDownload
    init(_ inner: ScriptedSource, onDownload: @escaping @Sendable (Int32) throws(RingCentralError) -> MediaDownload) {
        self.inner = inner
        self.onDownload = onDownload
    }
    func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        try inner.callLogPage(dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, view: view, nextPageURI: nextPageURI)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        try inner.callLogSync(request, view: view)
    }
    func voicemailPage(extensionId: String, dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
    func voicemailSync(extensionId: String, _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.voicemailSync(extensionId: extensionId, request)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload { try onDownload(descriptor) }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload { try onDownload(descriptor) }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

@Suite struct ArchiveIntegrityTests {
    func makeTenant() throws -> (ScratchDirectory, ArchiveRoot, TenantMarker, SyncOptions) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        return (scratch, root, tenant, options)
    }

    /// A full disk under a download (curl's write callback failing with ENOSPC) stops the run: no
    /// pending attempt is counted, nothing is quarantined, the message says "disk full" and names the file.
    @Test func aFullDiskWhileDownloadingStopsTheRunWithoutCountingAnAttempt() throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let calls = [callRecord(id: "Full1", recordingId: "1662272001"), callRecord(id: "Full2", start: "2026-11-19T16:00:00.000Z", recordingId: "1662272002")]
        let source = ControlledSource(ScriptedSource(calls: calls)) { _ throws(RingCentralError) in
            var error = TransportError(kind: .localWriteFailed, curlCode: 23, message: "Failure writing output to destination", url: "https://media.example/x")
            error.localErrno = ENOSPC
            throw .transport(error, attempts: 1)
        }
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(report.status == .failed)
        let failure = report.failure ?? ""
        #expect(failure.contains("disk full") && failure.contains(root.tenantDirectory(tenant.tenantId)) && !failure.contains("curl 23"), "\(failure)")
        let queue = try root.store(for: tenant.tenantId).loadPending()
        #expect(queue.pending.isEmpty && queue.quarantined.isEmpty, "no attempt is counted against the item")
        let backfill = try root.store(for: tenant.tenantId).loadState().callLog.backfill
        #expect(backfill != nil && backfill?.cursor == backfill?.from, "the backfill cursor does not advance past the window that failed")
        #expect(report.counts["itemErrors", default: 0] == 0)
    }

    @Test func anUnreadableSidecarIsAnItemErrorAndIsNeverReplaced() throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let calls = [callRecord(id: "Kept1", recordingId: "1662272001"), callRecord(id: "Other", start: "2026-11-18T10:00:00.000Z")]
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls), options: options).run()
        let directory = root.tenantDirectory(tenant.tenantId)
        let sidecars = try Manifest.sidecarPaths(tenantDirectory: directory)
        let target = try #require(sidecars.first { $0.contains("kept1") })
        let corrupt = Array("{\"format\": \"ringlog-call\", \"layoutVersion\": 1, \"record\": {\"id\": \"Ke".utf8)
        try DurableFiles.writeAtomically(directory + "/" + target, corrupt)
        let changed = [callRecord(id: "Kept1", recordingId: "1662272001", extra: [("result", "Missed")]),
                       callRecord(id: "Other", start: "2026-11-18T10:00:00.000Z", extra: [("result", "Missed")])]
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: changed), options: options).run()
        #expect(try DurableFiles.read(directory + "/" + target) == corrupt, "the damaged sidecar is left exactly as it is")
        #expect(report.status == .partial && report.errors.contains { $0.contains(target) }, "\(report.errors)")
        let errorLog = String(decoding: try DurableFiles.read(directory + "/logs/errors.jsonl"), as: UTF8.self)
        #expect(errorLog.contains(target))
        #expect(report.counts["callRevisions"] == 1, "the healthy call beside it is still revised")
    }

    @Test func aSidecarOfAFutureLayoutFailsOnlyItselfAndStaysByteIdentical() throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [callRecord(id: "Future")]), options: options).run()
        let directory = root.tenantDirectory(tenant.tenantId)
        let target = try #require(try Manifest.sidecarPaths(tenantDirectory: directory).first)
        var json = try JSON.parse(DurableFiles.read(directory + "/" + target)).objectValue!
        json["layoutVersion"] = 2
        json["v2Only"] = ["anything": true]
        let bytes = JSON.object(json).serializedBytes(.pretty)
        try DurableFiles.writeAtomically(directory + "/" + target, bytes)
        let report = try SyncEngine(root: root, tenant: tenant,
                                    source: ScriptedSource(calls: [callRecord(id: "Future", extra: [("result", "Missed")]),
                                                                   callRecord(id: "New", start: "2026-11-19T18:00:00.000Z")]),
                                    options: options).run()
        #expect(try DurableFiles.read(directory + "/" + target) == bytes)
        #expect(report.errors.contains { $0.contains(target) && $0.contains("layout version 2") }, "\(report.errors)")
        #expect(report.counts["calls"] == 1, "the new call is archived")
    }

    @Test func aControlFileOfAFutureLayoutStopsTheRunNamingItAndChangesNothing() throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [callRecord(id: "One")]), options: options).run()
        let store = root.store(for: tenant.tenantId)
        let future = Array(#"{"format": "ringlog-state", "layoutVersion": 2, "callLog": {"v2": true}}"#.utf8)
        try DurableFiles.writeAtomically(store.statePath, future)
        let manifestBefore = try DurableFiles.read(store.path("manifest/2026-11.jsonl"))
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [callRecord(id: "Two", start: "2026-11-19T18:00:00.000Z")]),
                                    options: options).run()
        #expect(report.status == .failed && report.configurationFailed)
        #expect(report.failure?.contains(store.statePath) == true && report.failure?.contains("layout version 2") == true, "\(report.failure ?? "")")
        #expect(try DurableFiles.read(store.statePath) == future)
        #expect(try DurableFiles.read(store.path("manifest/2026-11.jsonl")) == manifestBefore)
    }

    @Test func aPendingEntryWhoseSidecarCannotBeReadStays() throws {
        let (scratch, root, tenant, initialOptions) = try makeTenant()
        var options = initialOptions
        defer { withExtendedLifetime(scratch) {} }
        let calls = [callRecord(id: "Wait", recordingId: "1662272001")]
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls, mediaStatus: 404), options: options).run()
        let store = root.store(for: tenant.tenantId)
        #expect(try store.loadPending().pending.count == 1)
        let sidecar = try #require(try Manifest.sidecarPaths(tenantDirectory: store.directory).first)
        try DurableFiles.writeAtomically(store.path(sidecar), Array("garbage".utf8))
        options.retryPendingNow = true
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls), options: options).run()
        #expect(try store.loadPending().pending.map(\.mediaId) == ["1662272001"], "kept until its sidecar can be read")
        #expect(report.errors.contains { $0.contains(sidecar) })
    }

    /// Another run takes the lease over while a download is in flight (this run was stopped, or its
    /// share was unreachable): the renewal timer notices, the transfer is aborted, nothing more is
    /// written, and the run reports it was fenced.
    @Test func aRunWhoseLeaseIsTakenOverIsFencedAbortsItsTransferAndWritesNothingMore() throws {
        let (scratch, root, tenant, initialOptions) = try makeTenant()
        var options = initialOptions
        defer { withExtendedLifetime(scratch) {} }
        let cancellation = CancellationFlag()
        options.cancellation = cancellation
        options.leaseSeconds = 1.5
        let store = root.store(for: tenant.tenantId)
        let waited = Mutex<Double>(0)
        let atTakeover = Mutex<[String: String]>([:])
        /// Every file under the tenant but the run log and the lease files, with size and mtime.
        @Sendable func tree() -> [String: String] {
            var result: [String: String] = [:]
            let enumerator = FileManager.default.enumerator(atPath: store.directory)
            while let relative = enumerator?.nextObject() as? String {
                guard relative != "logs", !relative.hasSuffix("runs.jsonl"), !relative.contains(Lease.filePrefix),
                    !relative.contains(ArchiveNames.temporaryPrefix),
                    let attributes = try? FileManager.default.attributesOfItem(atPath: store.directory + "/" + relative),
                    attributes[.type] as? FileAttributeType == .typeRegular  // its own temporary file's removal touches the folder
                else { continue }
                result[relative] = "\(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? 0)"
            }
            return result
        }
        let source = ControlledSource(ScriptedSource(calls: [callRecord(id: "Fenced", recordingId: "1662272001")])) { _ throws(RingCentralError) in
            // A second run takes the lease as generation g+1, as it would after this one's expiry.
            let current = DurableFiles.list(store.controlDirectory).filter { $0.hasPrefix(Lease.filePrefix) }.last!
            let next = Int(current.dropFirst(Lease.filePrefix.count))! + 1
            let digits = String(next)
            let successor = store.controlDirectory + "/lease." + String(repeating: "0", count: 20 - digits.count) + digits
            let json: JSON = ["format": "ringlog-lease", "layoutVersion": 1, "generation": .int(next), "token": "00000000000000cc",
                              "holder": "otherhost:9", "renewedAt": .string(Timestamp.now().iso8601),
                              "expiresAt": .string(Timestamp.now().adding(seconds: 600).iso8601)]
            try? DurableFiles.writeAtomically(successor, json.serializedBytes())
            atTakeover.withLock { $0 = tree() }
            let started = monotonicSeconds()
            while !cancellation.isCancelled && monotonicSeconds() - started < 10 { usleep(20_000) }
            waited.withLock { $0 = monotonicSeconds() - started }
            throw .transport(TransportError(kind: .cancelled, curlCode: 42, message: "aborted", url: "https://media.example/x"), attempts: 1)
        }
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        let fencingTime = waited.withLock { $0 }
        print("fencing time after takeover: \(fencingTime) s (lease 1.5 s, renewed every 0.5 s)")
        #expect(report.fenced && report.status == .failed)
        #expect(report.failure?.contains("lost its lease") == true && report.failure?.contains("otherhost:9") == true, "\(report.failure ?? "")")
        #expect(fencingTime < 1.5, "aborted within a renewal interval")
        #expect(tree() == atTakeover.withLock { $0 }, "nothing written after the lease was lost but the run-log line")
        #expect(try store.loadPending().pending.isEmpty, "no pending attempt counted")
        let runs = String(decoding: try DurableFiles.read(store.path("logs/runs.jsonl")), as: UTF8.self)
        #expect(runs.contains("lost its lease"), "the run-log line is still written")
    }
}
