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
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.messageSync(extensionId: extensionId, types: types, request)
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
        for (path, format) in [(store.statePath, "ringlog-state"), (store.pendingPath, "ringlog-pending")] {
            let original = try DurableFiles.readIfPresent(path)
            let future = Array(#"{"format": "\#(format)", "layoutVersion": 2, "v2": true}"#.utf8)
            try DurableFiles.writeAtomically(path, future)
            let before = Set(try tree(store.directory))
            #expect {
                _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [callRecord(id: "Two", start: "2026-11-19T18:00:00.000Z")]),
                                   options: options).run()
            } throws: { error in
                error is ControlFileError && "\(error)".contains(path) && "\(error)".contains("layout version 2")
            }
            #expect(Set(try tree(store.directory)) == before, "nothing written: no lease, no log line, no item")
            if let original { try DurableFiles.writeAtomically(path, original) } else { unlink(path) }
        }
    }

    /// Every regular file and its bytes' hash.
    func tree(_ directory: String) throws -> [String] {
        var result: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            if let bytes = try? DurableFiles.read(directory + "/" + relative) { result.append(relative + " " + SHA256Hasher.hex(of: bytes)) }
        }
        return result
    }

    /// Unreadable for root too: a sidecar name that is a symlink to itself (ELOOP).
    @Test func aSidecarThatCannotBeReadIsNeverReplaced() throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [callRecord(id: "Loop")]), options: options).run()
        let directory = root.tenantDirectory(tenant.tenantId)
        let target = try #require(try Manifest.sidecarPaths(tenantDirectory: directory).first)
        unlink(directory + "/" + target)
        #expect(symlink(DurableFiles.fileName(of: target), directory + "/" + target) == 0)
        let report = try SyncEngine(root: root, tenant: tenant,
                                    source: ScriptedSource(calls: [callRecord(id: "Loop", extra: [("result", "Missed")])]), options: options).run()
        var info = stat()
        #expect(lstat(directory + "/" + target, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "the unreadable sidecar is not replaced")
        #expect(report.errors.contains { $0.contains(target) && $0.contains("cannot be read") }, "\(report.errors)")
    }

    /// A symlink at a media name is not adopted (it could point at /dev/zero): that call fails alone.
    @Test func aSymlinkAtAMediaNameFailsOnlyItsItem() throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let store = root.store(for: tenant.tenantId)
        try DurableFiles.createDirectories(store.path("101/2026-11-19"))
        #expect(symlink("/dev/zero", store.path("101/2026-11-19/20261119T150000Z_1662272001.mp3")) == 0)
        let calls = [callRecord(id: "Sym", recordingId: "1662272001"), callRecord(id: "Fine", start: "2026-11-18T10:00:00.000Z", recordingId: "1662272002")]
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls), options: options).run()
        #expect(report.status == .partial && report.counts["recordings"] == 1, "\(report.errors) \(report.failure ?? "")")
        #expect(report.errors.contains { $0.contains("not a regular file") })
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

    /// The successor lease as another run would write it after this one's expiry.
    static func takeOver(_ store: TenantStore) {
        let current = DurableFiles.list(store.controlDirectory).filter { $0.hasPrefix(Lease.filePrefix) }.last!
        let next = Int(current.dropFirst(Lease.filePrefix.count))! + 1
        let digits = String(next)
        let successor = store.controlDirectory + "/lease." + String(repeating: "0", count: 20 - digits.count) + digits
        let json: JSON = ["format": "ringlog-lease", "layoutVersion": 1, "generation": .int(next), "token": "00000000000000cc",
                          "holder": "otherhost:9", "renewedAt": .string(Timestamp.now().iso8601),
                          "expiresAt": .string(Timestamp.now().adding(seconds: 600).iso8601)]
        try? DurableFiles.writeAtomically(successor, json.serializedBytes())
    }

    /// Lost while a list request is in flight (not a download): still reported as the lost lease, exit 5.
    @Test func aRunFencedDuringAnAPIRequestReportsTheLostLease() throws {
        let (scratch, root, tenant, initialOptions) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        var options = initialOptions
        let cancellation = CancellationFlag()
        options.cancellation = cancellation
        options.leaseSeconds = 3
        let store = root.store(for: tenant.tenantId)
        final class SyncCancelledSource: ArchiveSource {
            let inner: ScriptedSource, store: TenantStore, cancellation: CancellationFlag
            init(_ inner: ScriptedSource, _ store: TenantStore, _ cancellation: CancellationFlag) {
                self.inner = inner
                self.store = store
                self.cancellation = cancellation
            }
            func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
            func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
            func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                             nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> { Page(records: [], nextPageURI: nil) }
            func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
                ArchiveIntegrityTests.takeOver(store)
                let started = monotonicSeconds()
                while !cancellation.isCancelled && monotonicSeconds() - started < 10 { usleep(20_000) }
                throw .transport(TransportError(kind: .cancelled, curlCode: 42, message: "aborted", url: "https://platform.example/x"), attempts: 1)
            }
            func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                               nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
            func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
                try inner.messageSync(extensionId: extensionId, types: types, request)
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
        let report = try SyncEngine(root: root, tenant: tenant, source: SyncCancelledSource(ScriptedSource(calls: []), store, cancellation),
                                    options: options).run()
        #expect(report.fenced && report.failure?.contains("lost its lease") == true && report.failure?.contains("otherhost:9") == true,
                "\(report.failure ?? "")")
    }

    /// A download that completes after the lease was lost is not committed: the media never gets its final name.
    @Test func mediaReceivedAfterTheLeaseWasLostIsNotCommitted() throws {
        let (scratch, root, tenant, initialOptions) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        var options = initialOptions
        let cancellation = CancellationFlag()
        options.cancellation = cancellation
        options.leaseSeconds = 3
        let store = root.store(for: tenant.tenantId)
        let source = ControlledSource(ScriptedSource(calls: [callRecord(id: "Late", recordingId: "1662272001")])) { descriptor throws(RingCentralError) in
            ArchiveIntegrityTests.takeOver(store)
            let started = monotonicSeconds()
            while !cancellation.isCancelled && monotonicSeconds() - started < 10 { usleep(20_000) }
            let bytes: [UInt8] = Array("ID3".utf8) + [UInt8](repeating: 7, count: 100)
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            return MediaDownload(contentType: "audio/mpeg", bytes: Int64(bytes.count), sha256: SHA256Hasher.hex(of: bytes), effectiveURL: "x")
        }
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(report.fenced)
        #expect(!DurableFiles.list(store.path("101/2026-11-19")).contains { $0.hasSuffix(".mp3") }, "no media committed after the loss")
    }

    /// Another run takes the lease over while a download is in flight (this run was stopped, or its
    /// share was unreachable): the renewal timer notices, the transfer is aborted, nothing more is
    /// written, and the run reports it was fenced.
    @Test func aRunWhoseLeaseIsTakenOverIsFencedAbortsItsTransferAndWritesNothingMore() throws {
        let (scratch, root, _, initialOptions) = try makeTenant()
        // Calls only: the takeover here is immediate (a real successor waits for the lease to expire by
        // the holder's clock), so the messages part, running while the download waits, could still
        // checkpoint before the renewal notices the successor.
        let tenant = try root.addTenant(name: "calls only", server: "https://platform.example",
                                        since: Timestamp(iso8601: "2026-11-01T00:00:00Z"), messages: MessageKinds.none)
        var options = initialOptions
        defer { withExtendedLifetime(scratch) {} }
        let cancellation = CancellationFlag()
        options.cancellation = cancellation
        options.leaseSeconds = 3
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
        print("fencing time after takeover: \(fencingTime) s (lease 3 s, renewed every 1 s)")
        #expect(report.fenced && report.status == .failed)
        #expect(report.failure?.contains("lost its lease") == true && report.failure?.contains("otherhost:9") == true, "\(report.failure ?? "")")
        #expect(fencingTime < 3, "aborted within about a renewal interval")
        #expect(tree() == atTakeover.withLock { $0 }, "nothing written after the lease was lost but the run-log line")
        #expect(try store.loadPending().pending.isEmpty, "no pending attempt counted")
        let runs = String(decoding: try DurableFiles.read(store.path("logs/runs.jsonl")), as: UTF8.self)
        #expect(runs.contains("lost its lease"), "the run-log line is still written")
    }
}

/// RingCentral asks for an hour's pause of Heavy requests: the call-log part stops for this run
/// (checkpointed, partial, a warning says why), media waiting on it is parked without an attempt
/// counted, and voicemail (other groups) still runs.
@Suite struct LongPenaltyTests {
    final class PausingSource: ArchiveSource {
        let inner: ScriptedSource
        let voicemailSyncs = Mutex(0)
        init(_ inner: ScriptedSource) { self.inner = inner }
        func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
        func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
        func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                         nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
            throw .penaltyTooLong(group: .heavy, seconds: 3600, endpoint: "GET /account/~/call-log")
        }
        func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
            try inner.callLogSync(request, view: view)
        }
        func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                           nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
        func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
            voicemailSyncs.withLock { $0 += 1 }
            return try inner.messageSync(extensionId: extensionId, types: types, request)
        }
        func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
            throw .penaltyTooLong(group: .heavy, seconds: 3600, endpoint: "GET /account/~/recording/{id}/content")
        }
        func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
            try inner.downloadAttachment(uri: uri, to: descriptor)
        }
        func revoke() {}
        var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
    }

    @Test func aPauseLongerThanARunSitsOutStopsOnlyThatPart() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-10-01T00:00:00Z"))
        // The full sync's newest calls are archived before the list walk; their recordings wait for it.
        let calls = [callRecord(id: "Old", start: "2026-10-02T10:00:00.000Z", recordingId: "1662272001"),
                     callRecord(id: "New", start: "2026-11-19T10:00:00.000Z", recordingId: "1662272002")]
        let source = PausingSource(ScriptedSource(calls: calls))
        var options = SyncOptions()
        options.retryPendingNow = true
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(report.status == .partial, "\(report.failure ?? "")")
        #expect(report.warnings.contains { $0.contains("60-minute pause") && $0.contains("heavy") }, "\(report.warnings)")
        #expect(source.voicemailSyncs.withLock { $0 } > 0, "voicemail still ran")
        let state = try root.store(for: tenant.tenantId).loadState()
        #expect(state.callLog.syncToken != nil && state.callLog.backfill != nil, "checkpointed where it stopped")
    }
}
