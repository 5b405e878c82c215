import CurlHTTP
import RinglogSupport

/// One archived media file, as listed in a sidecar's `archive.media`.
public struct MediaEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case recording, voicemail, transcription }
    public var kind: Kind
    /// recordingId for recordings; attachment id for voicemail audio and transcriptions.
    public var id: String
    public var file: String
    public var sha256: String
    public var size: Int64
    public var contentType: String
    public var archivedAt: Timestamp

    var json: JSON {
        ["kind": .string(kind.rawValue), "id": .string(id), "file": .string(file), "sha256": .string(sha256),
         "size": .int(size), "contentType": .string(contentType), "archivedAt": .string(archivedAt.iso8601)]
    }

    init(kind: Kind, id: String, file: String, sha256: String, size: Int64, contentType: String, archivedAt: Timestamp) {
        self.kind = kind
        self.id = id
        self.file = file
        self.sha256 = sha256
        self.size = size
        self.contentType = contentType
        self.archivedAt = archivedAt
    }

    init?(json: JSON) {
        guard let kind = json["kind"]?.stringValue.flatMap(Kind.init(rawValue:)), let id = json["id"]?.stringValue,
            let file = json["file"]?.stringValue, let sha256 = json["sha256"]?.stringValue, let size = json["size"]?.int64Value,
            let contentType = json["contentType"]?.stringValue,
            let archivedAt = json["archivedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { return nil }
        self.init(kind: kind, id: id, file: file, sha256: sha256, size: size, contentType: contentType, archivedAt: archivedAt)
    }
}

/// A sidecar (`…_call.<id>.json` or `…_vm.<id>.json`): RingCentral's record verbatim (access tokens
/// removed from URLs) plus ringlog's `archive` section. Top-level keys ringlog does not own are kept
/// untouched through every rewrite, so users may annotate sidecars.
public struct Sidecar: Sendable {
    public enum Kind: String, Sendable {
        case call = "ringlog-call"
        case voicemail = "ringlog-voicemail"
    }

    static let ownedKeys: Set<String> = ["format", "layoutVersion", "record", "archive"]

    public struct Revision: Sendable, Equatable {
        public var revision: Int
        public var archivedAt: Timestamp
        public var lastModifiedTime: String?
        /// The record as it was; nil for the current revision (its record is the top-level `record`).
        public var record: JSON?
    }

    public var kind: Kind
    public var record: JSON
    /// Identity and placement, written once (`archive.item`): tenant, account, ids, folder, start.
    public var item: JSONObject
    public var revisions: [Revision]
    public var media: [MediaEntry]
    public var userKeys: JSONObject

    public var revision: Int { revisions.last?.revision ?? 0 }

    public init(kind: Kind, record: JSON, item: JSONObject, archivedAt: Timestamp) {
        self.kind = kind
        self.record = record
        self.item = item
        self.revisions = [Revision(revision: 1, archivedAt: archivedAt, lastModifiedTime: record["lastModifiedTime"]?.stringValue, record: nil)]
        self.media = []
        self.userKeys = JSONObject()
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> Sidecar {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw ConfigurationError("\(path): \(error)") }
        guard let object = json.objectValue, let kind = json["format"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let record = json["record"], let archive = json["archive"]?.objectValue, let item = archive["item"]?.objectValue
        else { throw ConfigurationError("\(path) is not a ringlog sidecar") }
        var revisions: [Revision] = []
        for entry in archive["revisions"]?.arrayValue ?? [] {
            guard let number = entry["revision"]?.int64Value, let at = entry["archivedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else {
                throw ConfigurationError("\(path): malformed archive.revisions entry")
            }
            revisions.append(Revision(revision: Int(number), archivedAt: at, lastModifiedTime: entry["lastModifiedTime"]?.stringValue,
                                      record: entry["record"]))
        }
        guard !revisions.isEmpty else { throw ConfigurationError("\(path): archive.revisions is empty") }
        var media: [MediaEntry] = []
        for entry in archive["media"]?.arrayValue ?? [] {
            guard let parsed = MediaEntry(json: entry) else { throw ConfigurationError("\(path): malformed archive.media entry") }
            media.append(parsed)
        }
        var user = object
        for key in ownedKeys { user[key] = nil }
        var sidecar = Sidecar(kind: kind, record: record, item: item, archivedAt: revisions[0].archivedAt)
        sidecar.revisions = revisions
        sidecar.media = media
        sidecar.userKeys = user
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

    public var json: JSON {
        var archive = JSONObject()
        archive["item"] = .object(item)
        archive["revision"] = .int(revision)
        archive["archivedAt"] = .string(revisions[0].archivedAt.iso8601)
        archive["updatedAt"] = .string(revisions[revisions.count - 1].archivedAt.iso8601)
        archive["media"] = .array(media.map(\.json))
        archive["revisions"] = .array(revisions.map { entry in
            var object = JSONObject()
            object["revision"] = .int(entry.revision)
            object["archivedAt"] = .string(entry.archivedAt.iso8601)
            object["lastModifiedTime"] = entry.lastModifiedTime.map { .string($0) } ?? .null
            if let record = entry.record { object["record"] = record }
            return .object(object)
        })
        var object = JSONObject()
        object["format"] = .string(kind.rawValue)
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["record"] = record
        object["archive"] = .object(archive)
        for member in userKeys.members { object[member.key] = member.value }
        return .object(object)
    }

    public var bytes: [UInt8] { json.serializedBytes(.pretty) + [0x0A] }
}

/// Removes `access_token` from every URL-looking string in a record, at any depth.
public func strippingAccessTokens(_ value: JSON) -> JSON {
    switch value {
    case .string(let text) where text.lowercased().contains("access_token") || text.lowercased().contains("access%5ftoken"):
        return .string(redactingAccessToken(text))
    case .array(let elements):
        return .array(elements.map(strippingAccessTokens))
    case .object(let object):
        var result = JSONObject()
        for member in object.members { result[member.key] = strippingAccessTokens(member.value) }
        return .object(result)
    default:
        return value
    }
}
