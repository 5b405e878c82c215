import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// What a legal hold keeps. Every given part must match (they narrow one another); a hold without
/// any part keeps the whole tenant.
public struct HoldScope: Sendable, Equatable {
    /// An extension folder: the number (`101`), `id-<extensionId>` or `_account`.
    public var extensionFolder: String?
    /// Items that started at or after this instant.
    public var from: Timestamp?
    /// Items that started at or before this instant (a date given as `--to` means its last millisecond).
    public var to: Timestamp?
    public var callId: String?
    public var messageId: String?

    public init(extensionFolder: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil, callId: String? = nil, messageId: String? = nil) {
        self.extensionFolder = extensionFolder
        self.from = from
        self.to = to
        self.callId = callId
        self.messageId = messageId
    }

    public var isWholeTenant: Bool { extensionFolder == nil && from == nil && to == nil && callId == nil && messageId == nil }

    /// What an item is, for a hold's `callId`/`messageId` parts. An id that could not be learnt
    /// (a recording whose call is not beside it) is nil and counts as matching: a hold is never
    /// missed because of what ringlog does not know.
    public enum Identity: Sendable, Equatable {
        case call(String?)
        case message(String?)
    }

    /// Whether an item (a call with its recordings, or a voicemail with its media) falls under it.
    /// `start` is an interval when the exact instant is not known (a file name holds whole seconds):
    /// the hold keeps the item if any instant of it could match, so rounding never loses a hold.
    public func covers(extensionFolder folder: String, earliestStart: Timestamp, latestStart: Timestamp, item: Identity) -> Bool {
        if let extensionFolder, extensionFolder != folder { return false }
        if let from, latestStart < from { return false }
        if let to, earliestStart > to { return false }
        if let callId {
            guard case .call(let id) = item, id == nil || id == callId else { return false }
        }
        if let messageId {
            guard case .message(let id) = item, id == nil || id == messageId else { return false }
        }
        return true
    }

    var json: JSON {
        var object = JSONObject()
        if let extensionFolder { object["extension"] = .string(extensionFolder) }
        if let from { object["from"] = .string(from.iso8601) }
        if let to { object["to"] = .string(to.iso8601) }
        if let callId { object["callId"] = .string(callId) }
        if let messageId { object["messageId"] = .string(messageId) }
        return .object(object)
    }

    init(json: JSON, context: String) throws(ControlFileError) {
        guard let object = json.objectValue else { throw ControlFileError(context, "scope is not an object") }
        func text(_ key: String) throws(ControlFileError) -> String? {
            guard let value = object[key] else { return nil }
            guard let string = value.stringValue else { throw ControlFileError(context, "scope.\(key) is not a string") }
            return string
        }
        func time(_ key: String) throws(ControlFileError) -> Timestamp? {
            guard let string = try text(key) else { return nil }
            guard let parsed = Timestamp(iso8601: string) else { throw ControlFileError(context, "scope.\(key) is not a time") }
            return parsed
        }
        self.init(extensionFolder: try text("extension"), from: try time("from"), to: try time("to"), callId: try text("callId"),
                  messageId: try text("messageId"))
        for key in object.keys where !["extension", "from", "to", "callId", "messageId"].contains(key) {
            // A scope part this ringlog does not know could narrow or widen the hold: refuse to guess.
            throw ControlFileError(context, "scope.\(key) is not a hold scope this ringlog knows; upgrade ringlog")
        }
    }

    /// In words: "extension 101, from 2026-01-01T00:00:00.000Z".
    public var summary: String {
        var parts: [String] = []
        if let extensionFolder { parts.append("extension \(extensionFolder)") }
        if let from { parts.append("from \(from.iso8601)") }
        if let to { parts.append("to \(to.iso8601)") }
        if let callId { parts.append("call \(callId)") }
        if let messageId { parts.append("message \(messageId)") }
        return parts.isEmpty ? "the whole tenant" : parts.joined(separator: ", ")
    }
}

/// One legal hold, replayed from `<tenant>/holds.jsonl`.
public struct LegalHold: Sendable, Equatable {
    public let id: String
    public let scope: HoldScope
    public let reason: String
    public let addedAt: Timestamp
    public let addedBy: String
    public var releasedAt: Timestamp?
    public var releasedBy: String?
    public var releaseReason: String?

    public var isActive: Bool { releasedAt == nil }
}

/// `<tenant>/holds.jsonl`: append-only events, `added` and `released`. Replaying them gives every
/// hold ever placed; nothing is ever removed from the file.
public enum HoldLog {
    public static let fileName = "holds.jsonl"

    /// `hold-` and 12 hex digits.
    public static func newId() -> String { "hold-" + String(Lease.randomToken().prefix(12)) }

    public static func isHoldId(_ text: String) -> Bool {
        text.hasPrefix("hold-") && text.utf8.count == 17 && text.utf8.dropFirst(5).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Every hold, in the order placed. A line that cannot be read stops everything that deletes:
    /// a hold that cannot be read could be the one that keeps an item.
    public static func load(_ path: String) throws -> [LegalHold] {
        var holds: [LegalHold] = []
        var number = 0
        try DurableFiles.forEachLine(path) { bytes in
            number += 1
            let context = "\(path) line \(number)"
            guard let json = try? JSON.parse(bytes), json.objectValue != nil else {
                throw ControlFileError(context, "is not a JSON object; nothing is purged while a hold cannot be read (repair or restore the file)")
            }
            guard let id = json["holdId"]?.stringValue, isHoldId(id) else { throw ControlFileError(context, "holdId is missing or malformed") }
            guard let at = json["at"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else { throw ControlFileError(context, "at is missing or not a time") }
            let actor = json["actor"]?.stringValue ?? "unknown"
            let reason = json["reason"]?.stringValue ?? ""
            switch json["event"]?.stringValue {
            case "added":
                guard !holds.contains(where: { $0.id == id }) else { throw ControlFileError(context, "hold \(id) is added twice") }
                let scope = try HoldScope(json: json["scope"] ?? .object(JSONObject()), context: context)
                holds.append(LegalHold(id: id, scope: scope, reason: reason, addedAt: at, addedBy: actor))
            case "released":
                guard let index = holds.firstIndex(where: { $0.id == id }) else { throw ControlFileError(context, "releases \(id), which was never added") }
                if holds[index].releasedAt == nil {
                    holds[index].releasedAt = at
                    holds[index].releasedBy = actor
                    holds[index].releaseReason = reason
                }
            default:
                throw ControlFileError(context, "event \(json["event"]?.serialized() ?? "missing") is not added or released; upgrade ringlog")
            }
        }
        return holds
    }

    public static func addedLine(id: String, scope: HoldScope, reason: String, at: Timestamp, actor: String) -> JSON {
        ["event": "added", "holdId": .string(id), "at": .string(at.iso8601), "actor": .string(actor), "reason": .string(reason), "scope": scope.json]
    }

    public static func releasedLine(id: String, reason: String, at: Timestamp, actor: String) -> JSON {
        ["event": "released", "holdId": .string(id), "at": .string(at.iso8601), "actor": .string(actor), "reason": .string(reason)]
    }
}

/// Who ran a command that changed the tree's governance: `user@host`.
public func currentActor() -> String {
    var name = [CChar](repeating: 0, count: 256)
    gethostname(&name, 255)
    let host = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? ""
    if user.isEmpty, let variable = getenv("USER") { user = String(cString: variable) }
    return "\(user.isEmpty ? "uid\(getuid())" : user)@\(host)"
}
