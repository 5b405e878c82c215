import ArchivePasses
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// A tenant built directly through ArchiveStore's writer (no simulator): calls with recordings and
/// voicemails with audio and transcription, at chosen instants, in chosen extension folders.
final class TestTenant {
    let scratch = ScratchDirectory()
    let root: ArchiveRoot
    let store: TenantStore
    /// "now" for every pass the tests run: fixed, so runs are reproducible.
    let now = Timestamp(iso8601: "2026-11-20T12:00:00Z")!

    init() throws {
        root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let marker = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        store = root.store(for: marker.tenantId)
    }

    /// A byte-for-byte copy of another tenant's archive (same tenant id, same files), so that runs on
    /// the copies can be compared with each other exactly.
    init(copying other: TestTenant) throws {
        try FileManager.default.copyItem(atPath: other.root.path, toPath: scratch.path + "/archive")
        root = try ArchiveRoot.open(scratch.path + "/archive")
        store = root.store(for: other.store.tenantId)
    }

    var directory: String { store.directory }

    func context(_ now: Timestamp? = nil) -> PassContext {
        var context = PassContext(now: now ?? self.now, actor: "tester@host", leaseSeconds: 600)
        context.beforeRemovalStep = nil
        return context
    }

    func write(_ body: (TenantWriter) throws -> Void) throws {
        let writer = try store.openWriter()
        defer { writer.close() }
        try body(writer)
    }

    static func party(_ number: String?) -> JSON {
        guard let number else { return ["name": "Someone"] }
        return ["phoneNumber": .string(number), "name": "Someone"]
    }

    /// A call sidecar (and its recordings) `days` before `now`.
    @discardableResult
    func addCall(_ id: String, folder: String = "101", daysAgo: Double, recordings: [String] = [], from: String? = "+14155550100",
                 to: String? = "+16505551000", legs: [JSON] = [], writer: TenantWriter) throws -> String {
        let start = now.adding(seconds: -daysAgo * 86_400)
        return try addCall(id, folder: folder, start: start, recordings: recordings, from: from, to: to, legs: legs, writer: writer)
    }

    @discardableResult
    func addCall(_ id: String, folder: String = "101", start: Timestamp, recordings: [String] = [], from: String? = "+14155550100",
                 to: String? = "+16505551000", legs: [JSON] = [], writer: TenantWriter) throws -> String {
        let day = DurableFiles.join(folder, ArchiveNames.dayFolder(start))
        let record: JSON = ["id": .string(id), "startTime": .string(start.iso8601), "direction": "Inbound", "from": Self.party(from),
                            "to": Self.party(to), "legs": .array(legs)]
        let item: JSONObject = ["tenantId": .string(store.tenantId), "accountId": .null, "callId": .string(id), "extensionId": "62000001",
                                "extensionNumber": .string(folder), "extensionFolder": .string(folder)]
        var sidecar = Sidecar(kind: .call, record: record, item: item, startTime: start, archivedAt: now)
        for recordingId in recordings {
            let base = try ArchiveNames.recordingBaseName(start: start, recordingId: recordingId)
            sidecar.add(try media(writer, day: day, base: base, name: base + ".mp3", kind: .recording, id: recordingId, bytes: "rec \(recordingId)"))
        }
        let relative = DurableFiles.join(day, try ArchiveNames.callSidecarFile(start: start, callId: id))
        try writer.saveSidecar(sidecar, at: relative, changed: true)
        return relative
    }

    @discardableResult
    func addVoicemail(_ messageId: String, folder: String = "101", daysAgo: Double, from: String? = "+14155550199",
                      writer: TenantWriter) throws -> String {
        try addVoicemail(messageId, folder: folder, start: now.adding(seconds: -daysAgo * 86_400), from: from, writer: writer)
    }

    @discardableResult
    func addVoicemail(_ messageId: String, folder: String = "101", start: Timestamp, from: String? = "+14155550199",
                      writer: TenantWriter) throws -> String {
        let day = DurableFiles.join(folder, ArchiveNames.dayFolder(start))
        let record: JSON = ["id": .number(messageId), "type": "VoiceMail", "creationTime": .string(start.iso8601), "from": Self.party(from),
                            "to": [["name": "Mailbox"]]]
        let item: JSONObject = ["tenantId": .string(store.tenantId), "accountId": .null, "messageId": .string(messageId), "extensionId": "62000001",
                                "extensionNumber": .string(folder), "extensionFolder": .string(folder)]
        var sidecar = Sidecar(kind: .voicemail, record: record, item: item, startTime: start, archivedAt: now)
        let base = try ArchiveNames.voicemailBaseName(created: start, messageId: messageId)
        sidecar.add(try media(writer, day: day, base: base, name: base + ".wav", kind: .voicemail, id: messageId + "1", bytes: "audio \(messageId)"))
        sidecar.add(try media(writer, day: day, base: base, name: base + ".txt", kind: .transcription, id: messageId + "2", bytes: "text \(messageId)"))
        let relative = DurableFiles.join(day, try ArchiveNames.voicemailSidecarFile(created: start, messageId: messageId))
        try writer.saveSidecar(sidecar, at: relative, changed: true)
        return relative
    }

    /// One attachment of a message as `addMessage` writes it: its id, role (media kind), file extension,
    /// the record's `type` and its content.
    struct Attachment {
        var id: String
        var kind: MediaEntry.Kind
        var ext: MediaExtension
        var type: String
        var bytes: String

        static func text(_ id: String, _ body: String = "see you at 3") -> Attachment { Attachment(id: id, kind: .text, ext: .txt, type: "Text", bytes: body) }
        static func picture(_ id: String) -> Attachment { Attachment(id: id, kind: .mms, ext: .jpg, type: "MmsAttachment", bytes: "\u{FF}\u{D8}jpeg \(id)") }
        static func document(_ id: String, pages: Int = 2) -> Attachment {
            Attachment(id: id, kind: .document, ext: .pdf, type: "RenderedDocument", bytes: "%PDF-1.4 " + String(repeating: "page ", count: pages * 40))
        }

        var contentType: String { ext.contentType }
    }

    /// The attachments a message of `kind` has unless a test says otherwise (§5.1): an SMS its text,
    /// a fax its rendered document, a pager message its text.
    static func defaultAttachments(_ kind: MessageKind, messageId: String) -> [Attachment] {
        switch kind {
        case .sms, .pager: [.text(messageId + "1")]
        case .fax: [.document(messageId + "1")]
        case .voicemail: []
        }
    }

    /// A fax, SMS/MMS or pager message (its sidecar `ringlog-message`, §5.1) with its attachments, `days`
    /// before `now`, written as the sync writes one: media first (`<T>_<prefix>.<id>.<attachmentId>.<ext>`),
    /// then the sidecar `<T>_<prefix>.<id>.json` with `archive.item.messageKind`, through the writer.
    @discardableResult
    func addMessage(kind: MessageKind, _ messageId: String, folder: String = "101", daysAgo: Double, from: String? = "+14155550177",
                    to: [String?] = ["+16505551000"], attachments: [Attachment]? = nil, writer: TenantWriter) throws -> String {
        try addMessage(kind: kind, messageId, folder: folder, start: now.adding(seconds: -daysAgo * 86_400), from: from, to: to,
                       attachments: attachments, writer: writer)
    }

    @discardableResult
    func addMessage(kind: MessageKind, _ messageId: String, folder: String = "101", start: Timestamp, from: String? = "+14155550177",
                    to: [String?] = ["+16505551000"], attachments: [Attachment]? = nil, writer: TenantWriter) throws -> String {
        precondition(kind != .voicemail, "voicemails: addVoicemail (revision 3's names)")
        let attachments = attachments ?? Self.defaultAttachments(kind, messageId: messageId)
        let day = DurableFiles.join(folder, ArchiveNames.dayFolder(start))
        var record: JSONObject = ["uri": .string("https://platform.example/restapi/v1.0/account/1/extension/62000001/message-store/\(messageId)"),
                                  "id": .number(messageId), "to": .array(to.map { Self.party($0) }), "from": Self.party(from),
                                  "type": .string(kind.apiType), "creationTime": .string(start.iso8601), "readStatus": "Unread",
                                  "availability": "Alive", "direction": "Inbound", "messageStatus": "Received",
                                  "conversationId": .number("7" + messageId)]
        if kind != .fax { record["subject"] = "see you at 3" }
        if kind == .fax {
            record["faxResolution"] = "High"
            record["faxPageCount"] = 2
        }
        record["attachments"] = .array(attachments.map { attachment in
            ["id": .number(attachment.id), "uri": .string("https://media.example/restapi/v1.0/account/1/extension/62000001/message-store/\(messageId)/content/\(attachment.id)"),
             "type": .string(attachment.type), "contentType": .string(attachment.contentType)]
        })
        let item: JSONObject = ["tenantId": .string(store.tenantId), "accountId": .null, "messageId": .string(messageId), "extensionId": "62000001",
                                "extensionNumber": .string(folder), "extensionFolder": .string(folder), "messageKind": .string(kind.rawValue)]
        var sidecar = Sidecar(kind: .message, record: .object(record), item: item, startTime: start, archivedAt: now)
        for attachment in attachments {
            let base = try ArchiveNames.attachmentBaseName(kind: kind, created: start, messageId: messageId, attachmentId: attachment.id)
            sidecar.add(try media(writer, day: day, base: base, name: base + "." + attachment.ext.rawValue, kind: attachment.kind, id: attachment.id,
                                  bytes: attachment.bytes, contentType: attachment.contentType))
        }
        let relative = DurableFiles.join(day, try ArchiveNames.messageSidecarFile(kind: kind, created: start, messageId: messageId))
        try writer.saveSidecar(sidecar, at: relative, changed: true)
        return relative
    }

    /// Adds RingSense insights files (revision 1, then `.r2`, …) for recording `recordingId` of the call
    /// sidecar at `callPath`: each beside the recording, listed in the call's `archive.media` (kind
    /// `insights`, id the recording's), as the insights writer files them.
    @discardableResult
    func addInsights(toCall callPath: String, recordingId: String, revisions: Int = 1, writer: TenantWriter) throws -> [String] {
        var sidecar = try self.sidecar(callPath)
        let day = DurableFiles.parentDirectory(of: callPath)
        let base = try ArchiveNames.recordingBaseName(start: sidecar.startTime, recordingId: recordingId)
        var paths: [String] = []
        for revision in 1...revisions {
            let name = ArchiveNames.insightsFile(recordingBase: base, revision: revision)
            sidecar.add(try media(writer, day: day, base: base, name: name, kind: .insights, id: recordingId,
                                  bytes: #"{"recordingId":"\#(recordingId)","insights":{"Summary":[{"value":"revision \#(revision)"}]}}"#,
                                  contentType: "application/json"))
            paths.append(DurableFiles.join(day, name))
        }
        try writer.saveSidecar(sidecar, at: callPath, changed: true)
        return paths
    }

    /// Links a call and a message both ways (§6.7): `archive.message` on the call, `archive.calls` on the message.
    func link(call callPath: String, message messagePath: String, writer: TenantWriter) throws {
        var call = try sidecar(callPath), message = try sidecar(messagePath)
        let messageId = try #require(message.item["messageId"]?.stringValue), callId = try #require(call.item["callId"]?.stringValue)
        call.messageLink = Sidecar.Link(id: messageId, type: message.record["type"]?.stringValue, sidecar: messagePath)
        _ = message.linkCall(Sidecar.Link(id: callId, sidecar: callPath))
        try writer.saveSidecar(call, at: callPath, changed: true)
        try writer.saveSidecar(message, at: messagePath, changed: true)
    }

    private func media(_ writer: TenantWriter, day: String, base: String, name: String, kind: MediaEntry.Kind, id: String, bytes text: String,
                       contentType: String? = nil) throws -> MediaEntry {
        let temporary = try writer.beginMedia(in: day, baseName: base)
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(temporary.descriptor, $0.baseAddress, $0.count) }
        return try writer.commitMedia(temporary, fileName: name, kind: kind, id: id, sha256: SHA256Hasher.hex(of: bytes), size: Int64(bytes.count),
                                      contentType: contentType ?? (kind == .transcription ? "text/plain" : kind == .voicemail ? "audio/wav" : "audio/mpeg"))
    }

    func exists(_ relative: String) -> Bool { DurableFiles.exists(store.path(relative)) }

    /// Files of the tenant outside control files and logs (relative paths).
    func itemFiles(includingTrash: Bool = false) -> Set<String> {
        var result = Set<String>()
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasPrefix(".ringlog") || relative.hasPrefix("logs") || relative.hasPrefix("manifest") || relative.hasPrefix("tombstones") { continue }
            if !includingTrash && relative.hasPrefix(".trash") { continue }
            if !relative.contains("/") { continue }  // tenant.json, policy.json, holds.jsonl, exclusions.jsonl
            var info = stat()
            guard lstat(directory + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            result.insert(relative)
        }
        return result
    }

    /// Every file and directory under the archive root: type, mode, size, mtime, inode and content
    /// hash. Equal snapshots mean no byte and no metadata changed anywhere.
    func rootSnapshot() -> [String: String] {
        var result: [String: String] = [:]
        let base = root.path
        let enumerator = FileManager.default.enumerator(atPath: base)
        func describe(_ path: String) -> String {
            var info = stat()
            guard lstat(path, &info) == 0 else { return "missing" }
            let type = info.st_mode & S_IFMT
            let content = type == S_IFREG ? ((try? DurableFiles.hashFile(path).sha256) ?? "?") : "-"
            return "\(type) \(info.st_mode & 0o7777) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ino) \(content)"
        }
        result["."] = describe(base)
        while let relative = enumerator?.nextObject() as? String { result[relative] = describe(base + "/" + relative) }
        return result
    }

    /// The tree and tombstones with run ids replaced, for comparing a run with another: path →
    /// content hash for every item file (trash included) and every tombstone line.
    func normalizedState() throws -> (files: [String: String], tombstones: [String]) {
        var runIds = Set(store.trashRuns())
        runIds.insert(store.tenantId)
        for rule in (try? store.loadExclusions()) ?? [] { runIds.insert(rule.id) }
        for hold in (try? store.loadHolds()) ?? [] { runIds.insert(hold.id) }
        var tombstones: [String] = []
        for month in store.tombstoneMonths() {
            try store.forEachTombstone(month: month) { tombstone in
                if let runId = tombstone.runId { runIds.insert(runId) }
                tombstones.append(tombstone.json.serialized())
            }
        }
        func normalize(_ text: String) -> String { runIds.reduce(text) { $0.replacingOccurrences(of: $1, with: "RUN") } }
        var files: [String: String] = [:]
        for relative in itemFiles(includingTrash: true) {
            let bytes = try DurableFiles.read(directory + "/" + relative)
            files[normalize(relative)] = SHA256Hasher.hex(of: Array(normalize(String(decoding: bytes, as: UTF8.self)).utf8))
        }
        return (files, tombstones.map(normalize).sorted())
    }

    func tombstones() throws -> [Tombstone] {
        var all: [Tombstone] = []
        for month in store.tombstoneMonths() { try store.forEachTombstone(month: month) { all.append($0) } }
        return all
    }

    func auditLines() throws -> [JSON] {
        var lines: [JSON] = []
        try store.forEachAuditLine { lines.append($0) }
        return lines
    }

    func sidecar(_ relative: String) throws -> Sidecar { try #require(try store.loadSidecar(relative)) }
}

/// The repository's layout-spec schemas, for checking what the passes write.
enum Schemas {
    static let directory = repositoryRoot.appendingPathComponent("layout-spec/schemas").path

    static func errors(_ value: JSON, _ name: String) throws -> [String] {
        let document = try JSON.parse(try DurableFiles.read(directory + "/" + name))
        return SchemaValidator(document: document).validate(value, document)
    }

    static func lines(_ path: String) throws -> [JSON] {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return [] }
        return try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { try JSON.parse(String($0)) }
    }
}

struct InjectedCrash: Error {
    let step: Int
    let label: String
}
