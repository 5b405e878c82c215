import Foundation
import Logging
import RingCentral
import ArchiveStore
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// A double for RingCentral that a test scripts fully: the extension list, the calls, and what each
/// media URL answers. It records every download and every mailbox it is asked about.
final class SpecSource: ArchiveSource {
    struct Answer: Sendable {
        var status = 200
        var contentType: String? = "audio/mpeg"
    }

    let calls: [JSON]
    let extensionRecords: [JSON]
    let syncTime: Timestamp
    let answer: @Sendable (String) -> Answer
    /// Every media URI requested, in order.
    let downloads = Mutex<[String]>([])
    /// Every extension id whose voicemail was listed or synced.
    let mailboxesRead = Mutex<Set<String>>([])

    static let defaultExtensions: [JSON] = [["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"]]

    init(calls: [JSON], extensions: [JSON] = SpecSource.defaultExtensions,
         syncTime: Timestamp = Timestamp(iso8601: "2026-11-20T23:00:00Z")!,
         answer: @escaping @Sendable (String) -> Answer = { _ in Answer() }) {
        self.calls = calls
        self.extensionRecords = extensions
        self.syncTime = syncTime
        self.answer = answer
    }

    /// The recording id in a test URI `…/recording/<id>/content?…`.
    static func mediaId(_ uri: String) -> String {
        let path = uri.split(separator: "?").first ?? ""
        return String(path.split(separator: "/").dropLast().last ?? "")
    }

    var downloadedIds: [String] { downloads.withLock { $0 }.map(Self.mediaId) }

    func accountInfo() throws(RingCentralError) -> AccountInfo {
        do { return try AccountInfo(json: ["id": 400_000_000_008, "uri": "https://platform.example/restapi/v1.0/account/400000000008"]) } catch {
            throw .invalidResponse(endpoint: "account", reason: "\(error)")
        }
    }

    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] {
        do { return try extensionRecords.map { try ExtensionInfo(json: $0) } } catch {
            throw .invalidResponse(endpoint: "extensions", reason: "\(error)")
        }
    }

    private func decodedCalls() -> [CallLogRecord] { calls.compactMap { try? CallLogRecord(json: $0) } }

    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        Page(records: decodedCalls().filter { $0.startTime >= dateFrom && $0.startTime < dateTo }, nextPageURI: nil)
    }

    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        SyncResult(records: Array(decodedCalls().sorted { $0.startTime > $1.startTime }.prefix(250)), syncToken: "token",
                   syncTime: syncTime, syncType: "FSync", olderRecordsExist: false)
    }

    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        _ = mailboxesRead.withLock { $0.insert(extensionId) }
        return Page(records: [], nextPageURI: nil)
    }

    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        _ = mailboxesRead.withLock { $0.insert(extensionId) }
        return SyncResult(records: [], syncToken: "vm", syncTime: syncTime, syncType: "FSync", olderRecordsExist: false)
    }

    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try serve(contentURI, to: descriptor)
    }

    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try serve(uri, to: descriptor)
    }

    /// Bytes of their own for every URI (a token in its query never reaches them).
    static func bytes(for uri: String) -> [UInt8] { Array("ID3".utf8) + Array("media \(mediaId(uri))".utf8) + [UInt8](repeating: 7, count: 64) }

    private func serve(_ uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        downloads.withLock { $0.append(uri) }
        let answer = answer(uri)
        guard answer.status == 200 else { throw .http(status: answer.status, body: nil, endpoint: "content") }
        let bytes = Self.bytes(for: uri)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        return MediaDownload(contentType: answer.contentType, bytes: Int64(bytes.count), sha256: SHA256Hasher.hex(of: bytes),
                             effectiveURL: redactingAccessToken(uri))
    }

    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

/// An archive root with one tenant, driven in-process through `SyncEngine`.
struct EngineFixture {
    let scratch: ScratchDirectory
    let root: ArchiveRoot
    let tenant: TenantMarker
    var directory: String { root.tenantDirectory(tenant.tenantId) }

    init(since: Timestamp = Timestamp(iso8601: "2026-11-01T00:00:00Z")!) throws {
        scratch = ScratchDirectory()
        root = try ArchiveRoot.initialize(scratch.path + "/archive")
        tenant = try root.addTenant(name: "t", server: "https://platform.example", since: since)
    }

    @discardableResult
    func run(_ source: SpecSource, _ configure: (inout SyncOptions) -> Void = { _ in }, logger: Logger? = nil) throws -> SyncReport {
        var options = SyncOptions()
        configure(&options)
        // The tenant marker as it is now (the first run binds the account).
        let marker = try #require(try root.tenants(selecting: tenant.tenantId).first)
        if let logger { return try SyncEngine(root: root, tenant: marker, source: source, options: options, logger: logger).run() }
        return try SyncEngine(root: root, tenant: marker, source: source, options: options).run()
    }

    func pending() throws -> PendingQueue { try PendingQueue.load(directory + "/.ringlog/pending.json") }

    func manifestLines() throws -> [JSON] {
        try DurableFiles.list(directory + "/manifest").filter { $0.hasSuffix(".jsonl") }.flatMap { name in
            try String(decoding: try DurableFiles.read(directory + "/manifest/" + name), as: UTF8.self).split(separator: "\n")
                .map { try JSON.parse(String($0)) }
        }
    }

    func sidecar(_ relative: String) throws -> JSON { try JSON.parse(try DurableFiles.read(directory + "/" + relative)) }

    /// Every path under the tenant directory (relative), files and directories.
    var tree: [String] { (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted() }
}

@Suite struct SpecBehaviourTests {
    static let day = "2026-11-19"

    // MARK: §4.2 Items never move

    /// An extension renumbered from 101 to 201: the call archived under 101 stays there, its new
    /// revision and its late recording too; a new call of the same extension goes under 201.
    @Test func itemsNeverMoveWhenTheirExtensionIsRenumbered() throws {
        let fixture = try EngineFixture()
        let old = callRecord(id: "OldCall", start: "\(Self.day)T15:00:00.000Z", extra: [("lastModifiedTime", "2026-11-19T15:10:00.000Z")])
        try fixture.run(SpecSource(calls: [old]))
        let oldPath = "101/\(Self.day)/20261119T150000Z_call.\(try ArchiveNames.caseSafe(callId: "OldCall")).json"
        #expect(DurableFiles.exists(fixture.directory + "/" + oldPath), "\(fixture.tree)")

        let renumbered: [JSON] = [["id": 101_000, "extensionNumber": "201", "type": "User", "status": "Enabled"]]
        let revised = callRecord(id: "OldCall", start: "\(Self.day)T15:00:00.000Z", recordingId: "1662272100",
                                 extra: [("lastModifiedTime", "2026-11-19T15:20:00.000Z")])
        let new = callRecord(id: "NewCall", start: "\(Self.day)T16:00:00.000Z", recordingId: "1662272101")
        let report = try fixture.run(SpecSource(calls: [revised, new], extensions: renumbered))
        #expect(report.status == .success, "\(report.errors)")

        let sidecar = try fixture.sidecar(oldPath)
        #expect(sidecar["archive"]?["revision"]?.int == 2, "the new revision was written where the item was")
        #expect(sidecar["archive"]?["item"]?["extensionFolder"] == "101" && sidecar["archive"]?["item"]?["extensionNumber"] == "101")
        #expect(sidecar["archive"]?["media"]?[0]?["file"] == "20261119T150000Z_1662272100.mp3")
        #expect(DurableFiles.exists(fixture.directory + "/101/\(Self.day)/20261119T150000Z_1662272100.mp3"), "media next to its sidecar")
        let underNew = fixture.tree.filter { $0.hasPrefix("201/") }
        #expect(!underNew.contains { $0.contains("oldcall") || $0.contains("1662272100") }, "nothing of the old item moved: \(underNew)")
        let newPath = "201/\(Self.day)/20261119T160000Z_call.\(try ArchiveNames.caseSafe(callId: "NewCall")).json"
        #expect(try fixture.sidecar(newPath)["archive"]?["item"]?["extensionFolder"] == "201")
        // Manifest: the old item's lines all point under 101, the new one's under 201; the extension id ties them.
        let lines = try fixture.manifestLines()
        #expect(lines.filter { $0["callId"] == "OldCall" }.allSatisfy { $0["path"]?.stringValue?.hasPrefix("101/") == true })
        #expect(lines.filter { $0["callId"] == "NewCall" }.allSatisfy { $0["path"]?.stringValue?.hasPrefix("201/") == true })
        #expect(lines.filter { $0["kind"] == "call" }.allSatisfy { $0["extensionId"] == "101000" })
        #expect(lines.filter { $0["callId"] == "OldCall" && $0["kind"] == "call" }.count == 2, "two revisions of one item, one path")
    }

    // MARK: §9.2 Adoption of crash-left media

    /// A crash after a media file was renamed into place but before its sidecar: the next run adopts
    /// the file by name, hashing it, and downloads nothing.
    @Test func crashLeftMediaIsAdoptedHashedAndNotDownloadedAgain() throws {
        let fixture = try EngineFixture()
        let folder = fixture.directory + "/101/\(Self.day)"
        try DurableFiles.createDirectories(folder)
        let mp3: [UInt8] = Array("ID3 left by a crashed run".utf8) + [UInt8](repeating: 1, count: 300)
        let wav: [UInt8] = Array("RIFF left by a crashed run".utf8) + [UInt8](repeating: 2, count: 200)
        try DurableFiles.writeAtomically(folder + "/20261119T150000Z_1662272200.mp3", mp3)
        try DurableFiles.writeAtomically(folder + "/20261119T160000Z_1662272201.wav", wav)
        var before = stat()
        stat(folder + "/20261119T150000Z_1662272200.mp3", &before)
        let source = SpecSource(calls: [
            callRecord(id: "Crashed1", start: "\(Self.day)T15:00:00.000Z", recordingId: "1662272200"),
            callRecord(id: "Crashed2", start: "\(Self.day)T16:00:00.000Z", recordingId: "1662272201"),
            callRecord(id: "Fresh", start: "\(Self.day)T17:00:00.000Z", recordingId: "1662272202"),
        ])
        let report = try fixture.run(source)
        #expect(report.status == .success, "\(report.errors)")
        #expect(source.downloadedIds == ["1662272202"], "only the recording without a file is downloaded: \(source.downloadedIds)")
        var after = stat()
        stat(folder + "/20261119T150000Z_1662272200.mp3", &after)
        #expect(after.st_ino == before.st_ino && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec, "the adopted file is not rewritten")
        let lines = try fixture.manifestLines().filter { $0["kind"] == "recording" }
        for (id, bytes, type, ext) in [("1662272200", mp3, "audio/mpeg", "mp3"), ("1662272201", wav, "audio/wav", "wav")] {
            let line = try #require(lines.first { $0["recordingId"]?.stringValue == id }, "recording \(id) in the manifest")
            #expect(line["sha256"]?.stringValue == SHA256Hasher.hex(of: bytes) && line["size"]?.int == bytes.count && line["contentType"]?.stringValue == type)
            #expect(line["path"]?.stringValue?.hasSuffix("_\(id).\(ext)") == true)
            #expect(try DurableFiles.read(fixture.directory + "/" + (line["path"]?.stringValue ?? "")) == bytes)
        }
        let sidecar = try fixture.sidecar("101/\(Self.day)/20261119T150000Z_call.\(try ArchiveNames.caseSafe(callId: "Crashed1")).json")
        #expect(sidecar["archive"]?["media"]?[0]?["sha256"]?.stringValue == SHA256Hasher.hex(of: mp3))
    }

    // MARK: §8.2 Pending: backoff and order

    @Test func pendingBackoffStartsAtFiveMinutesDoublesAndIsCappedAtADay() throws {
        let defaults = SyncOptions()
        #expect(defaults.pendingBaseDelaySeconds == 300 && defaults.pendingMaximumDelaySeconds == 86_400 && defaults.pendingMaximumAttempts == 8)
        let fixture = try EngineFixture()
        let source = SpecSource(calls: [callRecord(id: "Late", start: "\(Self.day)T15:00:00.000Z", recordingId: "1662272300")]) { _ in
            SpecSource.Answer(status: 404)
        }
        let expected: [Double] = [300, 600, 1200, 2400, 4800, 9600, 19_200, 38_400, 76_800, 86_400, 86_400]
        for (index, delay) in expected.enumerated() {
            let started = Timestamp.now()
            try fixture.run(source) { $0.retryPendingNow = true; $0.pendingMaximumAttempts = expected.count + 1 }
            let ended = Timestamp.now()
            let item = try #require(try fixture.pending().pending.first, "attempt \(index + 1) is pending")
            #expect(item.attempts == index + 1)
            let lower = started.adding(seconds: delay), upper = ended.adding(seconds: delay)
            #expect(item.nextAttemptAt >= Timestamp(millisecondsSinceEpoch: lower.millisecondsSinceEpoch - 1)
                        && item.nextAttemptAt <= Timestamp(millisecondsSinceEpoch: upper.millisecondsSinceEpoch + 1),
                    "attempt \(index + 1): next attempt \(item.nextAttemptAt.iso8601), expected \(delay) s after \(started.iso8601)")
        }
        // Without --retry-pending an entry is not retried before its time.
        let count = source.downloads.withLock { $0.count }
        try fixture.run(source) { $0.pendingMaximumAttempts = expected.count + 1 }
        #expect(source.downloads.withLock { $0.count } == count, "not due: no attempt")
        try fixture.run(source) { $0.retryPendingNow = true; $0.pendingMaximumAttempts = expected.count + 1 }
        let queue = try fixture.pending()
        #expect(queue.pending.isEmpty && queue.quarantined.first?.attempts == expected.count + 1 && queue.quarantined.first?.quarantinedAt != nil)
    }

    /// Retries run oldest call first, whatever order the entries were queued in.
    @Test func pendingRetriesRunOldestFirst() throws {
        let fixture = try EngineFixture()
        let newest = callRecord(id: "Newest", start: "2026-11-19T15:00:00.000Z", recordingId: "1662272401")
        let oldest = callRecord(id: "Oldest", start: "2026-11-05T15:00:00.000Z", recordingId: "1662272402")
        let middle = callRecord(id: "Middle", start: "2026-11-12T15:00:00.000Z", recordingId: "1662272403")
        let notReady: @Sendable (String) -> SpecSource.Answer = { _ in SpecSource.Answer(status: 404) }
        try fixture.run(SpecSource(calls: [newest], answer: notReady))
        try fixture.run(SpecSource(calls: [newest, oldest, middle], answer: notReady))
        #expect(Set(try fixture.pending().pending.map(\.mediaId)) == ["1662272401", "1662272402", "1662272403"])
        // The file's order is not the retry order: put the newest first, as another writer (or a hand edit) may.
        let path = fixture.directory + "/.ringlog/pending.json"
        var file = try #require(try JSON.parse(try DurableFiles.read(path)).objectValue)
        let entries = try #require(file["pending"]?.arrayValue)
        file["pending"] = .array(entries.sorted { ($0["startTime"]?.stringValue ?? "") > ($1["startTime"]?.stringValue ?? "") })
        try DurableFiles.writeAtomically(path, JSON.object(file).serializedBytes(.pretty))
        #expect(try fixture.pending().pending.map(\.mediaId) == ["1662272401", "1662272403", "1662272402"], "newest first in the file")
        let ready = SpecSource(calls: [newest, oldest, middle])
        let report = try fixture.run(ready) { $0.retryPendingNow = true }
        #expect(report.status == .success && report.pending == 0, "\(report.errors)")
        #expect(ready.downloadedIds == ["1662272402", "1662272403", "1662272401"], "oldest first: \(ready.downloadedIds)")
    }

    // MARK: §4.5 A wrong Content-Type

    @Test func aWrongContentTypeIsPendingThenQuarantinedAndNeverStored() throws {
        let fixture = try EngineFixture()
        let source = SpecSource(calls: [
            callRecord(id: "Html", start: "\(Self.day)T15:00:00.000Z", recordingId: "1662272501"),
            callRecord(id: "Text", start: "\(Self.day)T16:00:00.000Z", recordingId: "1662272502"),
        ]) { uri in
            SpecSource.Answer(status: 200, contentType: SpecSource.mediaId(uri) == "1662272501" ? "text/html; charset=utf-8" : "text/plain")
        }
        for attempt in 1...3 {
            let report = try fixture.run(source) { $0.retryPendingNow = true; $0.pendingMaximumAttempts = 3 }
            #expect(report.status == .partial)
            let queue = try fixture.pending()
            if attempt < 3 {
                #expect(queue.pending.map(\.attempts) == [attempt, attempt] && queue.quarantined.isEmpty)
                #expect(queue.pending.allSatisfy { $0.lastError.contains("unexpected Content-Type") })
                #expect(report.counts["itemErrors", default: 0] == 0)
            } else {
                #expect(queue.pending.isEmpty && queue.quarantined.map(\.mediaId).sorted() == ["1662272501", "1662272502"])
                #expect(queue.quarantined.allSatisfy { $0.lastError.contains("gave up after 3 attempts") && $0.lastError.contains("unexpected Content-Type") })
                #expect(queue.quarantined.contains { $0.lastError.contains("text/html") })
                #expect(report.counts["itemErrors"] == 2)
            }
        }
        #expect(source.downloads.withLock { $0.count } == 6)
        let files = fixture.tree.filter { $0.hasPrefix("101/") }
        #expect(!files.contains { $0.hasSuffix(".mp3") || $0.hasSuffix(".wav") || $0.hasSuffix(".txt") || $0.hasSuffix(".html") }, "\(files)")
        #expect(!files.contains { $0.split(separator: "/").last?.hasPrefix(ArchiveNames.temporaryPrefix) == true }, "no temporary left: \(files)")
        let errors = String(decoding: try DurableFiles.read(fixture.directory + "/logs/errors.jsonl"), as: UTF8.self)
        #expect(errors.split(separator: "\n").count == 2 && errors.contains("quarantined recording 1662272501"))
    }

    // MARK: §5 Mailboxes

    @Test func voicemailIsReadOnlyFromEnabledMailboxExtensionsOfTheListedTypes() throws {
        let fixture = try EngineFixture()
        // FaxUser: a fax-only user, read because faxes are archived (the default kinds).
        let mailboxes = ["User", "Department", "Limited", "DigitalUser", "VirtualUser", "Voicemail", "FaxUser"]
        let others = ["IvrMenu", "ParkLocation", "ApplicationExtension", "Site", "Announcement", "SharedLinesGroup", "PagingOnly",
                      "Room", "Bot", "FlexibleUser", "DelegatedLinesGroup", "GroupCallPickup", "ProxyAdmin", "RoomConnector"]
        var extensions: [JSON] = []
        var expected = Set<String>()
        var id = 200_000
        for type in mailboxes + others {
            for status in ["Enabled", "Disabled", "NotActivated", "Frozen", "Unassigned"] {
                id += 1
                extensions.append(["id": .int(Int64(id)), "extensionNumber": .string(String(id % 10_000)), "type": .string(type), "status": .string(status)])
                if mailboxes.contains(type) && status == "Enabled" { expected.insert(String(id)) }
            }
        }
        let source = SpecSource(calls: [], extensions: extensions)
        let report = try fixture.run(source)
        #expect(report.status == .success, "\(report.errors)")
        let read = source.mailboxesRead.withLock { $0 }
        #expect(read == expected, "read but not a mailbox: \(read.subtracting(expected).sorted()); missed: \(expected.subtracting(read).sorted())")
        #expect(expected.count == mailboxes.count)
        let state = try JSON.parse(try DurableFiles.read(fixture.directory + "/.ringlog/state.json"))
        #expect(Set(state["voicemail"]?.objectValue?.members.map(\.key) ?? []) == expected, "a stream only for each mailbox")
    }

    // MARK: §11 The 90-day horizon

    /// RingCentral deletes recordings 90 days after the call: every unarchived recording within 7
    /// days of that is warned about in the report and the run log; none further away, none archived.
    @Test func unarchivedRecordingsNearRingCentralsDeletionAreWarnedAbout() throws {
        let now = Timestamp.now()
        func daysAgo(_ days: Double) -> String { now.adding(seconds: -days * 86_400).iso8601 }
        let fixture = try EngineFixture(since: now.adding(seconds: -100 * 86_400))
        let calls = [
            callRecord(id: "In5Days", start: daysAgo(85), recordingId: "1662272601"),
            callRecord(id: "In6Days", start: daysAgo(83.5), recordingId: "1662272602"),
            callRecord(id: "In10Days", start: daysAgo(80), recordingId: "1662272603"),
            callRecord(id: "Gone", start: daysAgo(91), recordingId: "1662272604"),
            callRecord(id: "Archived", start: daysAgo(86), recordingId: "1662272605"),
            callRecord(id: "Recent", start: daysAgo(2), recordingId: "1662272606"),
        ]
        let source = SpecSource(calls: calls, syncTime: now) { uri in
            SpecSource.Answer(status: SpecSource.mediaId(uri) == "1662272605" ? 200 : 404)
        }
        let report = try fixture.run(source)
        let warned = Set(["1662272601", "1662272602", "1662272603", "1662272604", "1662272605", "1662272606"].filter { id in
            report.warnings.contains { $0.contains("recording \(id) ") }
        })
        #expect(warned == ["1662272601", "1662272602", "1662272604"], "\(report.warnings)")
        #expect(report.warnings.contains { $0.contains("recording 1662272601 ") && ($0.contains("in 119 h") || $0.contains("in 120 h")) }, "\(report.warnings)")
        #expect(report.warnings.contains { $0.contains("recording 1662272604 ") && $0.contains("0 h") })
        let runLine = try #require(String(decoding: try DurableFiles.read(fixture.directory + "/logs/runs.jsonl"), as: UTF8.self)
            .split(separator: "\n").last)
        let logged = try JSON.parse(String(runLine))["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(["1662272601", "1662272602", "1662272604"].allSatisfy { id in logged.contains { $0.contains("recording \(id) ") } }, "\(logged)")
    }
}
