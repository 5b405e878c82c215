import RinglogSupport

/// One archived media file, as listed in a sidecar's `archive.media`. Only the writer creates new
/// entries (after the file is durable), so a sidecar can never list media that is not on disk.
public struct MediaEntry: Sendable, Equatable {
    /// `insights`: a recording's RingSense insights, one file per revision (layout-spec §6.7).
    public enum Kind: String, Sendable { case recording, voicemail, transcription, insights }
    public let kind: Kind
    /// recordingId for recordings and their insights; attachment id for voicemail audio and transcriptions.
    public let id: String
    public let file: String
    public let sha256: String
    public let size: Int64
    public let contentType: String
    public let archivedAt: Timestamp
    /// Keys of this entry that ringlog does not own (a later version's, a user's), kept as they are.
    public var extra: JSONObject

    static let ownedKeys: Set<String> = ["kind", "id", "file", "sha256", "size", "contentType", "archivedAt"]

    var json: JSON {
        var object: JSONObject = ["kind": .string(kind.rawValue), "id": .string(id), "file": .string(file), "sha256": .string(sha256),
                                  "size": .int(size), "contentType": .string(contentType), "archivedAt": .string(archivedAt.iso8601)]
        object.appendUnowned(extra)
        return .object(object)
    }

    init(kind: Kind, id: String, file: String, sha256: String, size: Int64, contentType: String, archivedAt: Timestamp,
         extra: JSONObject = JSONObject()) {
        self.kind = kind
        self.id = id
        self.file = file
        self.sha256 = sha256
        self.size = size
        self.contentType = contentType
        self.archivedAt = archivedAt
        self.extra = extra
    }

    init?(json: JSON) {
        guard let object = json.objectValue, let kind = json["kind"]?.stringValue.flatMap(Kind.init(rawValue:)), let id = json["id"]?.stringValue,
            let file = json["file"]?.stringValue, let sha256 = json["sha256"]?.stringValue, let size = json["size"]?.int64Value,
            let contentType = json["contentType"]?.stringValue,
            let archivedAt = json["archivedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { return nil }
        self.init(kind: kind, id: id, file: file, sha256: sha256, size: size, contentType: contentType, archivedAt: archivedAt,
                  extra: object.removing(Self.ownedKeys))
    }
}

/// A media file a retention or exclusion pass removed while keeping the item's record: the entry it
/// had in `archive.media`, and when, why and by which rule and run it went (`archive.removedMedia`).
public struct RemovedMedia: Sendable, Equatable {
    public let entry: MediaEntry
    public let removedAt: Timestamp
    public let reason: String
    public let rule: String
    public let runId: String?

    static let ownedKeys: Set<String> = ["removedAt", "reason", "rule", "runId"]

    var json: JSON {
        var object = entry.json.objectValue ?? JSONObject()
        object["removedAt"] = .string(removedAt.iso8601)
        object["reason"] = .string(reason)
        object["rule"] = .string(rule)
        if let runId { object["runId"] = .string(runId) }
        return .object(object)
    }

    init?(json: JSON) {
        guard var entry = MediaEntry(json: json), let removedAt = json["removedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
            let reason = json["reason"]?.stringValue, let rule = json["rule"]?.stringValue
        else { return nil }
        entry.extra = entry.extra.removing(Self.ownedKeys)
        self.entry = entry
        self.removedAt = removedAt
        self.reason = reason
        self.rule = rule
        self.runId = json["runId"]?.stringValue
    }

    init(entry: MediaEntry, removedAt: Timestamp, reason: String, rule: String, runId: String?) {
        self.entry = entry
        self.removedAt = removedAt
        self.reason = reason
        self.rule = rule
        self.runId = runId
    }
}

/// A sidecar (`…_call.<id>.json` or `…_vm.<id>.json`): RingCentral's record verbatim (access tokens
/// removed from URLs) plus ringlog's `archive` section. Every key ringlog does not own, at every
/// level (top level, `archive`, `media[]` and `revisions[]` entries), is kept through every rewrite
/// with its value and position among the unowned keys, so users and later versions may annotate.
public struct Sidecar: Sendable {
    public enum Kind: String, Sendable {
        case call = "ringlog-call"
        case voicemail = "ringlog-voicemail"
    }

    static let ownedKeys: Set<String> = ["format", "layoutVersion", "record", "archive"]
    static let ownedArchiveKeys: Set<String> = ["item", "revision", "archivedAt", "updatedAt", "media", "recordings", "revisions", "removedMedia"]

    /// A recording the record references (top level or a leg): `archive.recordings[]`. A recording is
    /// stored once, with the first record that referenced it; the others name that record's sidecar.
    public struct ReferencedRecording: Sendable, Equatable {
        public var id: String
        /// The sidecar (relative to the tenant directory) whose `media` holds it; nil: this sidecar's.
        public var storedWith: String?
        public var extra = JSONObject()

        static let ownedKeys: Set<String> = ["id", "storedWith"]

        public init(id: String, storedWith: String? = nil) {
            self.id = id
            self.storedWith = storedWith
        }

        var json: JSON {
            var object: JSONObject = ["id": .string(id)]
            if let storedWith { object["storedWith"] = .string(storedWith) }
            object.appendUnowned(extra)
            return .object(object)
        }
    }

    public struct Revision: Sendable, Equatable {
        public var revision: Int
        public var archivedAt: Timestamp
        public var lastModifiedTime: String?
        /// The record as it was; nil for the current revision (its record is the top-level `record`).
        public var record: JSON?
        public var extra = JSONObject()

        static let ownedKeys: Set<String> = ["revision", "archivedAt", "lastModifiedTime", "record"]
    }

    public let kind: Kind
    public private(set) var record: JSON
    /// Identity and placement, written once (`archive.item`): tenant, account, ids, folder, start.
    public let item: JSONObject
    public private(set) var revisions: [Revision]
    public private(set) var media: [MediaEntry]
    /// `archive.recordings`: every recording the current record references, in order; empty for
    /// voicemail sidecars and for calls without recordings (the key is then absent).
    public private(set) var recordings: [ReferencedRecording] = []
    /// Media a pass removed while the record was kept (`archive.removedMedia`, §14.5); written only when non-empty.
    public private(set) var removedMedia: [RemovedMedia] = []
    /// Unowned keys of the top level and of `archive`.
    public var userKeys: JSONObject
    public var archiveExtra: JSONObject

    public var revision: Int { revisions.last?.revision ?? 0 }
    /// The item's start (call) or creation (message) instant, from `archive.item.startTime`.
    public let startTime: Timestamp

    public init(kind: Kind, record: JSON, item: JSONObject, startTime: Timestamp, archivedAt: Timestamp) {
        self.kind = kind
        self.record = record
        var item = item
        item["startTime"] = .string(startTime.iso8601)
        self.item = item
        self.startTime = startTime
        self.revisions = [Revision(revision: 1, archivedAt: archivedAt, lastModifiedTime: record["lastModifiedTime"]?.stringValue, record: nil)]
        self.media = []
        self.userKeys = JSONObject()
        self.archiveExtra = JSONObject()
    }

    /// Parses a sidecar. Throws `SidecarError` (naming `path`) for anything that is not a v1 sidecar
    /// this ringlog can rewrite without loss.
    public static func parse(_ bytes: [UInt8], path: String) throws(SidecarError) -> Sidecar {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw SidecarError(path, "not valid JSON (\(error))") }
        guard let object = json.objectValue, let kind = json["format"]?.stringValue.flatMap(Kind.init(rawValue:)) else {
            throw SidecarError(path, "not a ringlog sidecar (no format ringlog-call or ringlog-voicemail)")
        }
        guard let version = json["layoutVersion"]?.int64Value, version == Int64(ArchiveNames.layoutVersion) else {
            throw SidecarError(path, "layout version \(json["layoutVersion"]?.serialized() ?? "missing") is not one this ringlog "
                               + "implements (v\(ArchiveNames.layoutVersion)); upgrade ringlog")
        }
        guard let record = json["record"], let archive = json["archive"]?.objectValue, let item = archive["item"]?.objectValue else {
            throw SidecarError(path, "record, archive or archive.item is missing")
        }
        guard let start = item["startTime"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else {
            throw SidecarError(path, "archive.item.startTime is missing or not a time")
        }
        var revisions: [Revision] = []
        for entry in archive["revisions"]?.arrayValue ?? [] {
            guard let entryObject = entry.objectValue, let number = entry["revision"]?.int64Value,
                let at = entry["archivedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
            else { throw SidecarError(path, "malformed archive.revisions entry") }
            revisions.append(Revision(revision: Int(number), archivedAt: at, lastModifiedTime: entry["lastModifiedTime"]?.stringValue,
                                      record: entry["record"], extra: entryObject.removing(Revision.ownedKeys)))
        }
        guard !revisions.isEmpty else { throw SidecarError(path, "archive.revisions is empty") }
        var media: [MediaEntry] = []
        for entry in archive["media"]?.arrayValue ?? [] {
            guard let parsed = MediaEntry(json: entry) else { throw SidecarError(path, "malformed archive.media entry") }
            media.append(parsed)
        }
        var recordings: [ReferencedRecording] = []
        for entry in archive["recordings"]?.arrayValue ?? [] {
            guard let entryObject = entry.objectValue, let id = entry["id"]?.stringValue,
                entry["storedWith"] == nil || entry["storedWith"]?.stringValue != nil
            else { throw SidecarError(path, "malformed archive.recordings entry") }
            var reference = ReferencedRecording(id: id, storedWith: entry["storedWith"]?.stringValue)
            reference.extra = entryObject.removing(ReferencedRecording.ownedKeys)
            recordings.append(reference)
        }
        var removed: [RemovedMedia] = []
        for entry in archive["removedMedia"]?.arrayValue ?? [] {
            guard let parsed = RemovedMedia(json: entry) else { throw SidecarError(path, "malformed archive.removedMedia entry") }
            removed.append(parsed)
        }
        var sidecar = Sidecar(kind: kind, record: record, item: item, startTime: start, archivedAt: revisions[0].archivedAt)
        sidecar.revisions = revisions
        sidecar.media = media
        sidecar.recordings = recordings
        sidecar.removedMedia = removed
        sidecar.userKeys = object.removing(ownedKeys)
        sidecar.archiveExtra = archive.removing(ownedArchiveKeys)
        return sidecar
    }

    /// Takes `newRecord` as the current record if it differs, keeping the old one as a revision.
    /// Returns whether anything changed.
    public mutating func update(record newRecord: JSON, at time: Timestamp) -> Bool {
        guard newRecord != record else { return false }
        revisions[revisions.count - 1].record = record
        revisions.append(Revision(revision: revision + 1, archivedAt: time, lastModifiedTime: newRecord["lastModifiedTime"]?.stringValue,
                                  record: nil))
        record = newRecord
        return true
    }

    /// Adds a media entry the writer produced (the file is durable).
    public mutating func add(_ entry: MediaEntry) {
        media.append(entry)
    }

    /// Sets `archive.recordings` to the record's references; keys a user added to an entry stay with
    /// that entry. Returns whether anything changed (the sidecar must then be written).
    public mutating func setRecordings(_ references: [ReferencedRecording]) -> Bool {
        var merged = references
        for index in merged.indices {
            if let old = recordings.first(where: { $0.id == merged[index].id }) { merged[index].extra = old.extra }
        }
        guard merged != recordings else { return false }
        recordings = merged
        return true
    }

    public func hasMedia(kind: MediaEntry.Kind, id: String) -> Bool {
        media.contains { $0.kind == kind && $0.id == id }
    }

    /// Moves the media entry for `file` to `removedMedia` (the file was removed). Returns whether anything changed.
    public mutating func recordRemoval(ofFile file: String, at time: Timestamp, reason: String, rule: String, runId: String?) -> Bool {
        guard let index = media.firstIndex(where: { $0.file == file }) else { return false }
        removedMedia.append(RemovedMedia(entry: media.remove(at: index), removedAt: time, reason: reason, rule: rule, runId: runId))
        return true
    }

    /// Moves a removed media entry back to `media` (`trash restore` put the file back).
    public mutating func recordRestoration(ofFile file: String) -> Bool {
        guard let index = removedMedia.firstIndex(where: { $0.entry.file == file }) else { return false }
        media.append(removedMedia.remove(at: index).entry)
        return true
    }

    public var json: JSON {
        var archive = JSONObject()
        archive["item"] = .object(item)
        archive["revision"] = .int(revision)
        archive["archivedAt"] = .string(revisions[0].archivedAt.iso8601)
        archive["updatedAt"] = .string(revisions[revisions.count - 1].archivedAt.iso8601)
        archive["media"] = .array(media.map(\.json))
        if !recordings.isEmpty { archive["recordings"] = .array(recordings.map(\.json)) }
        if !removedMedia.isEmpty { archive["removedMedia"] = .array(removedMedia.map(\.json)) }
        archive["revisions"] = .array(revisions.map { entry in
            var object = JSONObject()
            object["revision"] = .int(entry.revision)
            object["archivedAt"] = .string(entry.archivedAt.iso8601)
            object["lastModifiedTime"] = entry.lastModifiedTime.map { .string($0) } ?? .null
            if let record = entry.record { object["record"] = record }
            object.appendUnowned(entry.extra)
            return .object(object)
        })
        archive.appendUnowned(archiveExtra)
        var object = JSONObject()
        object["format"] = .string(kind.rawValue)
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["record"] = record
        object["archive"] = .object(archive)
        object.appendUnowned(userKeys)
        return .object(object)
    }

    public var bytes: [UInt8] { json.serializedBytes(.pretty) + [0x0A] }
}

extension JSONObject {
    /// The members whose keys are not in `owned`, in their order.
    func removing(_ owned: Set<String>) -> JSONObject {
        var result = JSONObject()
        for member in members where !owned.contains(member.key) { result[member.key] = member.value }
        return result
    }

    /// Appends `extra`'s members (keys ringlog does not own) after the owned ones.
    mutating func appendUnowned(_ extra: JSONObject) {
        for member in extra.members where self[member.key] == nil { self[member.key] = member.value }
    }
}
