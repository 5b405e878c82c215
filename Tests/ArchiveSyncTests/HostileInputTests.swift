import Foundation
import RingCentral
import ArchiveStore
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// A source that returns whatever records a test gives it, as a hostile or broken server might.
final class ScriptedSource: ArchiveSource {
    let calls: [JSON]
    let messages: [JSON]
    let mediaStatus: Int
    /// How many of the newest calls a full sync returns (RingCentral: at most 250).
    let fullSyncCount: Int

    init(calls: [JSON], messages: [JSON] = [], mediaStatus: Int = 200, fullSyncCount: Int = 250) {
        self.calls = calls
        self.messages = messages
        self.mediaStatus = mediaStatus
        self.fullSyncCount = fullSyncCount
    }

    func accountInfo() throws(RingCentralError) -> AccountInfo {
        do { return try AccountInfo(json: ["id": 400_000_000_008, "uri": "https://platform.example/restapi/v1.0/account/400000000008"]) } catch {
            throw .invalidResponse(endpoint: "account", reason: "\(error)")
        }
    }

    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] {
        do {
            return [try ExtensionInfo(json: ["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"]),
                    try ExtensionInfo(json: ["id": 102_000, "extensionNumber": "../../etc", "type": "User", "status": "Enabled"])]
        } catch { throw .invalidResponse(endpoint: "extensions", reason: "\(error)") }
    }

    private func decodedCalls() -> [CallLogRecord] { calls.compactMap { try? CallLogRecord(json: $0) } }

    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        Page(records: decodedCalls().filter { $0.startTime >= dateFrom && $0.startTime < dateTo }, nextPageURI: nil)
    }

    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        let newest = Array(decodedCalls().sorted { $0.startTime > $1.startTime }.prefix(fullSyncCount))
        return SyncResult(records: newest, syncToken: "token", syncTime: Timestamp(iso8601: "2026-11-20T23:00:00Z")!, syncType: "FSync",
                          olderRecordsExist: false)
    }

    func voicemailPage(extensionId: String, dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        Page(records: extensionId == "101000" ? messages.compactMap { try? MessageRecord(json: $0) } : [], nextPageURI: nil)
    }

    func voicemailSync(extensionId: String, _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        SyncResult(records: [], syncToken: "vm", syncTime: Timestamp(iso8601: "2026-11-20T23:00:00Z")!, syncType: "FSync", olderRecordsExist: false)
    }

    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try serve(to: descriptor)
    }

    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try serve(to: descriptor)
    }

    private func serve(to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        guard mediaStatus == 200 else { throw .http(status: mediaStatus, body: nil, endpoint: "content") }
        let bytes: [UInt8] = Array("ID3".utf8) + [UInt8](repeating: 7, count: 100)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        return MediaDownload(contentType: "audio/mpeg", bytes: Int64(bytes.count), sha256: SHA256Hasher.hex(of: bytes), effectiveURL: "x")
    }

    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

func callRecord(id: String, start: String = "2026-11-19T15:00:00.000Z", extensionId: JSON = 101_000, recordingId: String? = nil,
                extra: [(String, JSON)] = []) -> JSON {
    var object = JSONObject([("uri", "https://platform.example/call-log/x"), ("id", .string(id)), ("sessionId", "1"), ("startTime", .string(start)),
                             ("type", "Voice"), ("direction", "Inbound"), ("action", "Phone Call"), ("result", "Accepted"),
                             ("extension", ["id": extensionId, "uri": "https://platform.example/extension/x"])])
    if let recordingId {
        object["recording"] = ["id": .string(recordingId), "uri": "https://platform.example/recording/x", "type": "Automatic",
                               "contentUri": .string("https://media.example/recording/\(recordingId)/content?access_token=SECRET")]
    }
    for (key, value) in extra { object[key] = value }
    return .object(object)
}

@Suite struct HostileInputTests {
    /// The scratch directory must outlive the test: keep the first element.
    func makeTenant() throws -> (ScratchDirectory, ArchiveRoot, TenantMarker) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        return (scratch, root, tenant)
    }

    @Test func hostileIdsFailOnlyTheirItemAndNeverLeaveTheTenantDirectory() throws {
        let (scratch, root, tenant) = try makeTenant()
        let hostile = ["../x", "a/b", "nul\u{0}byte", String(repeating: "A", count: 300), "..", "sp ace"]
        var records = hostile.map { callRecord(id: $0) }
        records.append(callRecord(id: "GoodCall-1_ok", recordingId: "../../../../tmp/evil"))  // hostile recording id
        records.append(callRecord(id: "GoodCall-2_ok", recordingId: "1662272004"))
        records.append(callRecord(id: "GoodCall-3_ok", extensionId: "102000"))  // extension number "../../etc"
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: records), options: options).run()
        #expect(report.status == .partial)
        #expect(report.counts["itemErrors"] == hostile.count + 1)
        for id in hostile {
            #expect(report.errors.contains { $0.contains("call id") }, "\(id.debugDescription) rejected with a reason naming the field")
        }
        #expect(report.errors.contains { $0.contains("recording id") })
        #expect(report.counts["calls"] == 3, "the valid calls are archived, the one with a hostile recording id too")
        // Nothing outside the tenant directory; the odd extension number fell back to its id.
        let everything = FileManager.default.enumerator(atPath: scratch.path)?.allObjects as? [String] ?? []
        let tenantPrefix = "archive/\(tenant.tenantId)"
        #expect(everything.allSatisfy { $0 == "archive" || $0 == "archive/ringlog-archive.json" || $0 == "archive/tenants.jsonl" || $0.hasPrefix("archive/.ringlog") || $0.hasPrefix(tenantPrefix) },
                "\(everything.filter { !$0.hasPrefix(tenantPrefix) })")
        #expect(everything.contains { $0.hasPrefix("\(tenantPrefix)/id-102000/") })
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.mp3") && !FileManager.default.fileExists(atPath: scratch.path + "/x"))
        let errorLog = String(decoding: try DurableFiles.read(root.tenantDirectory(tenant.tenantId) + "/logs/errors.jsonl"), as: UTF8.self)
        #expect(errorLog.split(separator: "\n").count == hostile.count + 1)
    }

    @Test func storedRecordsCarryNoAccessToken() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = ScriptedSource(calls: [callRecord(id: "Tok3n", recordingId: "1662272004")])
        _ = try SyncEngine(root: root, tenant: tenant, source: source, options: { var o = SyncOptions(); o.defaultHistoryDays = 30; return o }()).run()
        let directory = root.tenantDirectory(tenant.tenantId)
        for path in (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []) where path.hasSuffix(".json") || path.hasSuffix(".jsonl") {
            let text = String(decoding: (try? DurableFiles.read(directory + "/" + path)) ?? [], as: UTF8.self)
            #expect(!text.contains("SECRET") && !text.contains("access_token"), "\(path)")
        }
        #expect(try Manifest.sidecarPaths(tenantDirectory: directory).count == 1)
    }

    @Test func mediaThatNeverBecomesReadyIsQuarantinedWithItsReason() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = ScriptedSource(calls: [callRecord(id: "Never", recordingId: "1662272009")], mediaStatus: 404)
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        options.pendingMaximumAttempts = 3
        options.retryPendingNow = true
        var reports: [SyncReport] = []
        for _ in 0..<3 { reports.append(try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()) }
        #expect(reports[0].pending == 1 && reports[0].quarantined == 0)
        let queue = try PendingQueue.load(root.tenantDirectory(tenant.tenantId) + "/.ringlog/pending.json")
        #expect(queue.pending.isEmpty)
        let item = try #require(queue.quarantined.first)
        #expect(item.mediaId == "1662272009" && item.attempts == 3)
        #expect(item.lastError.contains("gave up after 3 attempts") && item.lastError.contains("404"))
        #expect(!item.uri.contains("access_token"))
    }

    @Test func userAnnotationsInSidecarsSurviveRevisions() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        let first = callRecord(id: "Annotated", extra: [("lastModifiedTime", "2026-11-19T15:10:00.000Z")])
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [first]), options: options).run()
        let directory = root.tenantDirectory(tenant.tenantId)
        let relative = try #require(try Manifest.sidecarPaths(tenantDirectory: directory).first)
        var sidecar = try JSON.parse(try DurableFiles.read(directory + "/" + relative)).objectValue!
        sidecar["auditNote"] = ["by": "compliance", "text": "legal hold"]
        try DurableFiles.writeAtomically(directory + "/" + relative, JSON.object(sidecar).serializedBytes(.pretty))
        let changed = callRecord(id: "Annotated", extra: [("lastModifiedTime", "2026-11-19T15:20:00.000Z"), ("result", "Missed")])
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [changed]), options: options).run()
        let after = try JSON.parse(try DurableFiles.read(directory + "/" + relative))
        #expect(after["auditNote"]?["text"] == "legal hold")
        #expect(after["archive"]?["revision"]?.int == 2)
        #expect(after["record"]?["result"] == "Missed")
        #expect(after["archive"]?["revisions"]?[0]?["record"]?["result"] == "Accepted")
    }
}

/// Records what the engine downloads, in order.
final class OrderRecordingSource: ArchiveSource {
    let inner: ScriptedSource
    let downloads = Mutex<[String]>([])
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
    func voicemailPage(extensionId: String, dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
    func voicemailSync(extensionId: String, _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.voicemailSync(extensionId: extensionId, request)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        downloads.withLock { $0.append(contentURI) }
        return try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload { try inner.downloadAttachment(uri: uri, to: descriptor) }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

@Suite struct DownloadOrderTests {
    @Test func theFirstRunDownloadsOldestFirstThoughFullSyncReturnsNewestFirst() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-10-01T00:00:00Z"))
        let days = ["2026-11-19", "2026-10-03", "2026-11-02", "2026-10-20"]
        let calls = days.enumerated().map { index, day in
            callRecord(id: "Call\(index)", start: "\(day)T15:00:00.000Z", recordingId: "16622720\(index)")
        }
        let source = OrderRecordingSource(ScriptedSource(calls: calls, fullSyncCount: 2))
        _ = try SyncEngine(root: root, tenant: tenant, source: source).run()
        let order = source.downloads.withLock { $0 }.map { String($0.split(separator: "/").dropLast().last ?? "") }
        #expect(order == ["166227201", "166227203", "166227202", "166227200"], "oldest call first: \(order)")
    }
}
