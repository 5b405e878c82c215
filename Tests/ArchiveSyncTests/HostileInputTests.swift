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
    /// The extension list (default: 101 and one with a hostile number).
    let extensionRecords: [JSON]?
    /// Every media URI asked for, in order.
    let downloaded = Mutex<[String]>([])

    /// ISync answers with no records at all (RingCentral documents it as returning "new records").
    let incrementalIsEmpty: Bool
    /// ISync refuses the token (CLG-101, the call log was reset).
    let rejectsIncremental = Mutex(false)
    /// Full syncs refuse a `dateFrom` older than this many days (RingCentral's 2025 spec limits some).
    let fullSyncMaximumDays: Int?
    /// List pages hold at most this many records (nil: one page).
    let listPageSize: Int?
    /// The mailbox whose message list holds `messages`.
    let messagesMailbox: String
    /// Every list request, as (dateFrom, dateTo).
    let listed = Mutex<[(Timestamp, Timestamp)]>([])

    init(calls: [JSON], messages: [JSON] = [], mediaStatus: Int = 200, fullSyncCount: Int = 250, extensions: [JSON]? = nil,
         incrementalIsEmpty: Bool = false, fullSyncMaximumDays: Int? = nil, messagesMailbox: String = "101000",
         listPageSize: Int? = nil) {
        self.messagesMailbox = messagesMailbox
        self.listPageSize = listPageSize
        self.incrementalIsEmpty = incrementalIsEmpty
        self.fullSyncMaximumDays = fullSyncMaximumDays
        self.calls = calls
        self.messages = messages
        self.mediaStatus = mediaStatus
        self.fullSyncCount = fullSyncCount
        self.extensionRecords = extensions
    }

    func accountInfo() throws(RingCentralError) -> AccountInfo {
        do { return try AccountInfo(json: ["id": 400_000_000_008, "uri": "https://platform.example/restapi/v1.0/account/400000000008"]) } catch {
            throw .invalidResponse(endpoint: "account", reason: "\(error)")
        }
    }

    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] {
        do {
            if let extensionRecords { return try extensionRecords.map { try ExtensionInfo(json: $0) } }
            return [try ExtensionInfo(json: ["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"]),
                    try ExtensionInfo(json: ["id": 102_000, "extensionNumber": "../../etc", "type": "User", "status": "Enabled"])]
        } catch { throw .invalidResponse(endpoint: "extensions", reason: "\(error)") }
    }

    private func decodedCalls() -> [CallLogRecord] { calls.compactMap { try? CallLogRecord(json: $0) } }

    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        listed.withLock { $0.append((dateFrom, dateTo)) }
        let all = decodedCalls().filter { $0.startTime >= dateFrom && $0.startTime < dateTo }.sorted { $0.startTime < $1.startTime }
        guard let pageSize = listPageSize else { return Page(records: all, nextPageURI: nil) }
        let offset = nextPageURI.flatMap { Int($0.split(separator: "=").last ?? "") } ?? 0
        let slice = Array(all.dropFirst(offset).prefix(pageSize))
        return Page(records: slice, nextPageURI: offset + pageSize < all.count ? "https://platform.example/call-log?offset=\(offset + pageSize)" : nil)
    }

    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        if rejectsIncremental.withLock({ $0 }), case .incremental = request {
            let body = APIErrorBody(bytes: Array(#"{"errorCode":"CLG-101","message":"Parameter [syncToken] is invalid"}"#.utf8))
            throw .syncTokenRejected(body: body, endpoint: "GET call-log-sync")
        }
        if incrementalIsEmpty, case .incremental = request {
            return SyncResult(records: [], syncToken: "token", syncTime: Timestamp(iso8601: "2026-11-20T23:00:00Z")!, syncType: "ISync",
                              olderRecordsExist: false)
        }
        let newest = Array(decodedCalls().sorted { $0.startTime > $1.startTime }.prefix(fullSyncCount))
        return SyncResult(records: newest, syncToken: "token", syncTime: Timestamp(iso8601: "2026-11-20T23:00:00Z")!, syncType: "FSync",
                          olderRecordsExist: false)
    }

    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        Page(records: extensionId == messagesMailbox ? messages.compactMap { try? MessageRecord(json: $0) } : [], nextPageURI: nil)
    }

    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        if let days = fullSyncMaximumDays, case .full(_, let from?) = request,
            from.secondsSinceEpoch < Timestamp(iso8601: "2026-11-20T23:00:00Z")!.secondsSinceEpoch - Double(days) * 86_400
        {
            let body = APIErrorBody(bytes: Array(#"{"errors":[{"errorCode":"CMN-101","message":"Parameter [dateFrom] value is invalid","parameterName":"dateFrom"}]}"#.utf8))
            throw .http(status: 400, body: body, endpoint: "GET message-sync")
        }
        return SyncResult(records: [], syncToken: "vm", syncTime: Timestamp(iso8601: "2026-11-20T23:00:00Z")!, syncType: "FSync", olderRecordsExist: false)
    }

    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        downloaded.withLock { $0.append(contentURI) }
        return try serve(to: descriptor)
    }

    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        downloaded.withLock { $0.append(uri) }
        return try serve(to: descriptor)
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

    /// A call whose `startTime` lies in the future (year 9999: a hostile or broken record) raised the call log's
    /// high-water mark to it, and the recovery from a refused sync token re-listed from that mark, so every call since
    /// the previous run was lost. The recovery starts no later than the previous sync's time.
    @Test func aFutureStartTimeDoesNotHideCallsFromTheTokenRecovery() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        let early = callRecord(id: "EarlyCall", start: "2026-11-19T15:00:00.000Z")
        let future = callRecord(id: "FutureCall", start: "9999-12-31T23:59:59.000Z")
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [early, future], fullSyncCount: 1), options: options).run()
        let later = callRecord(id: "LaterCall", start: "2026-11-20T12:00:00.000Z")  // not met by the first run
        let source = ScriptedSource(calls: [early, later, future], fullSyncCount: 1)
        source.rejectsIncremental.withLock { $0 = true }
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(report.warnings.contains { $0.contains("CLG-101") }, "\(report.warnings)")
        let files = DurableFiles.list(root.tenantDirectory(tenant.tenantId) + "/101/2026-11-20")
        #expect(files.contains { $0.contains("call.latercall") }, "\(files)")
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
        let directory = root.tenantDirectory(tenant.tenantId)
        let errorLines = try String(decoding: try DurableFiles.read(directory + "/logs/errors.jsonl"), as: UTF8.self)
            .split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(errorLines.count == hostile.count + 1)
        for id in hostile {
            // Each hostile id has its own error, naming the field and showing (the start of) that id.
            let own = report.errors.filter { $0.hasPrefix("call \(id.debugDescription.prefix(80))") }
            #expect(own.count == 1, "\(id.debugDescription): \(report.errors)")
            // The message quotes the id (its first 40 characters, for a long one).
            let quoted = id.count > 40 ? String(String(id.prefix(40)).debugDescription.dropLast()) : id.debugDescription
            #expect(own.allSatisfy { $0.contains("call id \(quoted)") && $0.contains("not usable in an archive path") },
                    "\(id.debugDescription) rejected with a reason naming the field: \(own)")
            let logged = errorLines.filter { $0["item"]?["callId"]?.stringValue == String(id.prefix(80)) }
            #expect(logged.count == 1 && logged.allSatisfy { $0["error"]?.stringValue.map { $0.contains("call id") } == true },
                    "\(id.debugDescription) in errors.jsonl")
        }
        let recordingErrors = report.errors.filter { $0.contains("recording id \"../../../../tmp/evil\"") }
        #expect(recordingErrors.count == 1 && recordingErrors.allSatisfy { $0.hasPrefix("call GoodCall-1_ok:") }, "\(report.errors)")
        #expect(report.counts["calls"] == 3, "the valid calls are archived, the one with a hostile recording id too")

        // Nothing anywhere in the scratch directory but the archive, and in the tenant directory only
        // what the layout names (§2): control files, manifest, logs and <folder>/<day>/<item file>.
        let everything = FileManager.default.enumerator(atPath: scratch.path)?.allObjects as? [String] ?? []
        let tenantPrefix = "archive/\(tenant.tenantId)"
        #expect(everything.allSatisfy { $0 == "archive" || $0 == "archive/ringlog-archive.json" || $0 == "archive/tenants.jsonl" || $0.hasPrefix("archive/.ringlog") || $0 == tenantPrefix || $0.hasPrefix(tenantPrefix + "/") },
                "\(everything.filter { !$0.hasPrefix(tenantPrefix) })")
        let unexpected = everything.filter { $0.hasPrefix(tenantPrefix + "/") }.map { String($0.dropFirst(tenantPrefix.count + 1)) }
            .filter { !Self.isLayoutPath($0) }
        #expect(unexpected.isEmpty, "not a layout path: \(unexpected)")
        #expect(everything.contains { $0.hasPrefix("\(tenantPrefix)/id-102000/") }, "the odd extension number fell back to its id")
        #expect(!everything.contains { $0.hasPrefix(tenantPrefix + "/") && $0.contains("etc") })
        // Where each hostile id would land if a path were built from it, from every folder ringlog writes
        // in (the tenant, an extension, a day): nothing there, inside the scratch directory or outside it.
        let bases = [directory, directory + "/101", directory + "/101/2026-11-19", directory + "/id-102000/2026-11-19"]
        // ("..", from a folder, is its parent: a directory of the tree, not a file that landed there.)
        let knownDirectories = Set(bases + [directory + "/id-102000", root.path].map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        for id in hostile + ["../../../../tmp/evil"] {
            for base in bases {
                for name in [id, "20261119T150000Z_" + id, "20261119T150000Z_call." + id] {
                    for suffix in ["", ".json", ".mp3", ".wav", ".part"] {
                        let path = URL(fileURLWithPath: base + "/" + name + suffix).standardizedFileURL.path
                        var info = stat()
                        #expect(lstat(path, &info) != 0 || DurableFiles.isDirectory(path) && knownDirectories.contains(path),
                                "\(id.debugDescription) landed at \(path)")
                    }
                }
            }
        }
    }

    /// A path (relative to the tenant directory) that layout-spec §2 allows.
    static func isLayoutPath(_ relative: String) -> Bool {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func matches(_ text: String, _ pattern: String) -> Bool { text.range(of: "^" + pattern + "$", options: .regularExpression) != nil }
        switch parts.count {
        case 1: return ["tenant.json", ".ringlog", "manifest", "logs", "_unfiled"].contains(parts[0]) || matches(parts[0], "([0-9]{1,16}|id-[0-9]{1,20}|_account)")
        case 2:
            switch parts[0] {
            case ".ringlog": return ["state.json", "pending.json"].contains(parts[1]) || matches(parts[1], "lease\\.[0-9]{20}")
            case "manifest": return matches(parts[1], "[0-9]{4}-[0-9]{2}\\.jsonl")
            case "logs": return ["runs.jsonl", "errors.jsonl"].contains(parts[1])
            case "_unfiled": return matches(parts[1], "[0-9]{4}-[0-9]{2}-[0-9]{2}")
            default: return matches(parts[1], "[0-9]{4}-[0-9]{2}-[0-9]{2}")
            }
        case 3 where parts[0] == "_unfiled":  // §6.5: records that could not be filed, by day and hash
            return matches(parts[1], "[0-9]{4}-[0-9]{2}-[0-9]{2}") && matches(parts[2], "[0-9a-f]{64}\\.json")
        case 3:
            return !parts[0].hasPrefix(".") && !["manifest", "logs"].contains(parts[0])
                && matches(parts[2], "[0-9]{8}T[0-9]{6}Z_(call\\.[a-z0-9_-]{1,64}\\.[0-9a-f]{1,16}\\.json|[0-9]{1,20}\\.(mp3|wav)|vm\\.[0-9]{1,20}\\.(json|mp3|wav|txt))")
        default: return false
        }
    }

    /// Tokens in every place a record can carry a URL: the recording's contentUri, each leg's, a
    /// nested string, upper case, percent-encoded. None reaches a stored file, a log line, an error
    /// or a warning; what is not the token is kept.
    @Test func storedRecordsLogsAndErrorsCarryNoAccessToken() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let secrets = ["SECRET-TOP", "SECRET-LEG", "SECRET-PCT", "SECRET-UPPER", "SECRET-NESTED", "SECRET-PENDING"]
        let legs: JSON = [
            ["legType": "Transfer", "recording": ["id": "1662272005", "contentUri": "https://media.example/recording/1662272005/content?keep=1&access_token=SECRET-LEG"]],
            ["legType": "Accept", "recording": ["id": "1662272006", "contentUri": "https://media.example/recording/1662272006/content?access%5Ftoken=SECRET-PCT&keep=2"]],
            ["legType": "FindMe", "message": ["uri": "https://platform.example/message/1?ACCESS_TOKEN=SECRET-UPPER#frag"]],
        ]
        let nested: JSON = ["notes": [["link": "see https://x.example/a?b=c&Access_Token=SECRET-NESTED"]]]
        var first = callRecord(id: "Tok3n", recordingId: "1662272004", extra: [("legs", legs), ("billing", nested)]).objectValue!
        first["recording"]?.setContentUri("https://media.example/recording/1662272004/content?access_token=SECRET-TOP&keep=0")
        var late = callRecord(id: "Tok3nLate", start: "2026-11-19T16:00:00.000Z", recordingId: "1662272007").objectValue!
        late["recording"]?.setContentUri("https://media.example/recording/1662272007/content?access_token=SECRET-PENDING")
        let calls: [JSON] = [.object(first), .object(late)]
        let input = calls.map { String(decoding: $0.serializedBytes(), as: UTF8.self) }.joined()
        #expect(secrets.allSatisfy { input.contains($0) }, "the input carries every token")
        let source = SpecSource(calls: calls) { uri in SpecSource.Answer(status: uri.contains("1662272007") ? 503 : 200) }
        let capture = LogCapture()
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options, logger: capture.logger).run()
        let requested = source.downloads.withLock { $0 }.joined(separator: " ")
        #expect(["SECRET-TOP", "SECRET-LEG", "SECRET-PCT", "SECRET-PENDING"].allSatisfy { requested.contains($0) },
                "the engine saw the tokens (the downloads carried them): \(requested)")
        #expect(report.pending == 1, "one recording is pending, its URI stored: \(report.errors)")

        var texts: [(String, String)] = report.errors.map { ("error", $0) } + report.warnings.map { ("warning", $0) }
            + capture.lines.withLock { $0 }.map { ("log", $0) } + [("failure", report.failure ?? ""), ("report", String(decoding: report.json.serializedBytes(), as: UTF8.self))]
        let directory = root.tenantDirectory(tenant.tenantId)
        for path in (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []) where !DurableFiles.isDirectory(directory + "/" + path) {
            texts.append((path, String(decoding: try DurableFiles.read(directory + "/" + path), as: UTF8.self)))
        }
        #expect(texts.contains { $0.0.hasSuffix("pending.json") } && texts.contains { $0.0.contains("_call.tok3n.") })
        for (place, text) in texts {
            let lowered = text.lowercased()
            #expect(!secrets.contains { text.contains($0) } && !lowered.contains("access_token") && !lowered.contains("access%5ftoken"),
                    "\(place): \(text.prefix(300))")
        }
        // The rest of each URL is kept.
        let sidecar = try JSON.parse(try DurableFiles.read(directory + "/" + (try #require(try Manifest.sidecarPaths(tenantDirectory: directory).first { $0.contains("tok3n.") }))))
        #expect(sidecar["record"]?["recording"]?["contentUri"] == "https://media.example/recording/1662272004/content?keep=0")
        #expect(sidecar["record"]?["legs"]?[0]?["recording"]?["contentUri"] == "https://media.example/recording/1662272005/content?keep=1")
        #expect(sidecar["record"]?["legs"]?[1]?["recording"]?["contentUri"] == "https://media.example/recording/1662272006/content?keep=2")
        #expect(sidecar["record"]?["legs"]?[2]?["message"]?["uri"] == "https://platform.example/message/1#frag")
        #expect(sidecar["archive"]?["media"]?.arrayValue?.count == 3, "the three recordings were downloaded")
        #expect(try PendingQueue.load(directory + "/.ringlog/pending.json").pending.first?.uri == "https://media.example/recording/1662272007/content")
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
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { Page(records: [], nextPageURI: nil) }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.messageSync(extensionId: extensionId, types: types, request)
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

extension JSON {
    /// Sets `contentUri` of an object value.
    mutating func setContentUri(_ uri: String) {
        guard var object = objectValue else { return }
        object["contentUri"] = .string(uri)
        self = .object(object)
    }
}
