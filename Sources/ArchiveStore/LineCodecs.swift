import RinglogSupport

/// One manifest line (§7), as a reader sees it. Lines are written by `Manifest` from sidecars;
/// this is the reading side, for passes that plan from the manifest (verify, export, retention).
public struct ManifestLine: Sendable, Equatable {
    /// `messageLink`: a call record that links a voicemail or fax (§7); the media kinds are MediaEntry's.
    public enum Kind: String, Sendable { case call, message, recording, voicemail, transcription, text, document, mms, attachment, insights, messageLink }
    public let kind: Kind
    /// Relative to the tenant directory.
    public let path: String
    public let callId: String?
    public let messageId: String?
    public let extensionId: String?
    /// recordingId (recordings, insights) or attachmentId (message attachments).
    public let mediaId: String?
    public let startTime: Timestamp
    public let revision: Int?
    public let sha256: String?
    public let size: Int64?
    public let contentType: String?
    public let archivedAt: Timestamp

    public init?(json: JSON) {
        guard let kind = json["kind"]?.stringValue.flatMap(Kind.init(rawValue:)), let path = json["path"]?.stringValue,
            let start = json["startTime"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
            let archivedAt = json["archivedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { return nil }
        self.kind = kind
        self.path = path
        callId = json["callId"]?.stringValue
        messageId = json["messageId"]?.stringValue
        extensionId = json["extensionId"]?.stringValue
        mediaId = json["recordingId"]?.stringValue ?? json["attachmentId"]?.stringValue
        startTime = start
        revision = json["revision"]?.int64Value.map(Int.init)
        sha256 = json["sha256"]?.stringValue
        size = json["size"]?.int64Value
        contentType = json["contentType"]?.stringValue
        self.archivedAt = archivedAt
    }

    public var isMedia: Bool { kind != .call && kind != .message && kind != .messageLink }
}

/// A tombstone line (§10): an item a retention or exclusion pass removed on purpose, so that no
/// later sync brings it back and an auditor can see what went, when and why. A line with
/// `restoredAt` is a restoration (`trash restore`): the last line for a path and kind decides.
public struct Tombstone: Sendable, Equatable {
    public enum Reason: String, Sendable { case retention, exclusion }
    public let path: String
    public let kind: ManifestLine.Kind
    /// `callId`, `messageId`, `extensionId`, `recordingId`, `attachmentId` as they apply.
    public let ids: JSONObject
    public let sha256: String?
    public let size: Int64?
    public let reason: Reason
    public let rule: String
    public let removedAt: Timestamp
    /// The removal run (purge or exclusion apply) that wrote it.
    public let runId: String?
    /// Set on a restoration line: the item is back in the tree.
    public let restoredAt: Timestamp?

    public init(path: String, kind: ManifestLine.Kind, ids: JSONObject, sha256: String?, size: Int64?, reason: Reason, rule: String,
                removedAt: Timestamp, runId: String? = nil, restoredAt: Timestamp? = nil) {
        self.path = path
        self.kind = kind
        self.ids = ids
        self.sha256 = sha256
        self.size = size
        self.reason = reason
        self.rule = rule
        self.removedAt = removedAt
        self.runId = runId
        self.restoredAt = restoredAt
    }

    static let idKeys = ["callId", "messageId", "extensionId", "recordingId", "attachmentId"]

    public init?(json: JSON) {
        guard let path = json["path"]?.stringValue, let kind = json["kind"]?.stringValue.flatMap(ManifestLine.Kind.init(rawValue:)),
            let reason = json["reason"]?.stringValue.flatMap(Reason.init(rawValue:)), let rule = json["rule"]?.stringValue,
            let removedAt = json["removedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { return nil }
        var ids = JSONObject()
        for key in Self.idKeys { if let value = json[key] { ids[key] = value } }
        self.init(path: path, kind: kind, ids: ids, sha256: json["sha256"]?.stringValue, size: json["size"]?.int64Value, reason: reason,
                  rule: rule, removedAt: removedAt, runId: json["runId"]?.stringValue,
                  restoredAt: json["restoredAt"]?.stringValue.flatMap { Timestamp(iso8601: $0) })
    }

    public var json: JSON {
        var object = JSONObject()
        object["path"] = .string(path)
        object["kind"] = .string(kind.rawValue)
        for key in Self.idKeys { if let value = ids[key] { object[key] = value } }
        if let sha256 { object["sha256"] = .string(sha256) }
        if let size { object["size"] = .int(size) }
        object["reason"] = .string(reason.rawValue)
        object["rule"] = .string(rule)
        object["removedAt"] = .string(removedAt.iso8601)
        if let runId { object["runId"] = .string(runId) }
        if let restoredAt { object["restoredAt"] = .string(restoredAt.iso8601) }
        return .object(object)
    }

    /// What identifies the removed thing: its kind and path (a path names one file).
    public var key: String { Self.key(kind: kind, path: path) }
    public static func key(kind: ManifestLine.Kind, path: String) -> String { "\(kind.rawValue):\(path)" }

    /// The item is gone (the line is a removal, not a restoration).
    public var isRemoval: Bool { restoredAt == nil }

    /// The same line as a restoration.
    public func restored(at time: Timestamp, runId: String) -> Tombstone {
        Tombstone(path: path, kind: kind, ids: ids, sha256: sha256, size: size, reason: reason, rule: rule, removedAt: removedAt, runId: runId,
                  restoredAt: time)
    }

    /// The id sync compares: recordingId, attachmentId, callId or messageId as the kind says.
    public var itemId: String? {
        switch kind {
        case .call: ids["callId"]?.stringValue
        case .message: ids["messageId"]?.stringValue
        case .recording, .insights: ids["recordingId"]?.stringValue
        case .voicemail, .transcription, .text, .document, .mms, .attachment: ids["attachmentId"]?.stringValue
        case .messageLink: nil
        }
    }

    /// `YYYY-MM` of the item's day folder (the second path component), which is its shard.
    public var month: String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, ArchiveReader.isDayFolder(String(parts[1])) else { return nil }
        return String(parts[1].prefix(7))
    }

    static func forEach(tenantDirectory: String, month: String, _ body: (Tombstone) throws -> Void) throws {
        try DurableFiles.forEachLine(DurableFiles.join(tenantDirectory, TenantStore.tombstoneDirectoryName, "\(month).jsonl")) { bytes in
            if let json = try? JSON.parse(bytes), let tombstone = Tombstone(json: json) { try body(tombstone) }
        }
    }

    /// The latest line per kind and path of a month's shard.
    static func state(tenantDirectory: String, month: String) throws -> [String: Tombstone] {
        var latest: [String: Tombstone] = [:]
        try forEach(tenantDirectory: tenantDirectory, month: month) { latest[$0.key] = $0 }
        return latest
    }
}

/// One line of `logs/errors.jsonl` (§11).
public struct ErrorLogLine: Sendable {
    public let runId: String
    public let at: Timestamp
    /// The failed item's ids, or `{"file": …}` for a repaired file.
    public let item: JSONObject
    public let error: String

    public init(runId: String, at: Timestamp = Timestamp.now(), item: JSONObject, error: String) {
        self.runId = runId
        self.at = at
        self.item = item
        self.error = error
    }

    public var json: JSON {
        ["runId": .string(runId), "at": .string(at.iso8601), "item": .object(item), "error": .string(error)]
    }
}

extension TenantStore {
    public static let tombstoneDirectoryName = "tombstones"

    /// Every complete manifest line of `month` that parses (a reader skips what it cannot use).
    public func forEachManifestLine(month: String, _ body: (ManifestLine) throws -> Void) throws {
        try DurableFiles.forEachLine(DurableFiles.join(directory, Manifest.directoryName, "\(month).jsonl")) { bytes in
            if let json = try? JSON.parse(bytes), let line = ManifestLine(json: json) { try body(line) }
        }
    }

    public func forEachTombstone(month: String, _ body: (Tombstone) throws -> Void) throws {
        try Tombstone.forEach(tenantDirectory: directory, month: month, body)
    }

    /// The months that have a tombstone shard, ascending.
    public func tombstoneMonths() -> [String] {
        DurableFiles.list(path(Self.tombstoneDirectoryName)).filter { $0.hasSuffix(".jsonl") && $0.utf8.count == 13 }.map { String($0.dropLast(6)) }
    }

    /// The latest line per path and kind of `month`: an item is gone when its latest line is a removal.
    public func tombstoneState(month: String) throws -> [String: Tombstone] {
        try Tombstone.state(tenantDirectory: directory, month: month)
    }
}

extension TenantWriter {
    /// Appends a tombstone to its month's shard. Removal passes write it before removing the files
    /// it describes, so a crash in between leaves a tombstone to finish, never a silent gap.
    public func appendTombstone(_ tombstone: Tombstone) throws {
        guard let month = tombstone.month else { throw ArchiveIOError("tombstone for", tombstone.path, code: 22) }
        let directory = store.path(TenantStore.tombstoneDirectoryName)
        try check()
        try DurableFiles.createDirectories(directory)
        try append(tombstone.json.serialized(), to: DurableFiles.join(directory, "\(month).jsonl"))
        tombstoneCache[month]?[tombstone.key] = tombstone
    }

    public func appendError(_ line: ErrorLogLine) throws { try appendErrorLine(line.json) }
}

/// One line of `logs/runs.jsonl` (§11): what a run did, in the key order the schema lists.
public struct RunLogLine: Sendable {
    public enum Status: String, Sendable { case success, partial, failed, interrupted }
    /// The item counters, always all present, in this order (those after `tombstoned` since layout revision 4:
    /// new SMS, MMS, pager and fax messages, their attachment files, and messages RingCentral deleted or purged).
    public static let countKeys = ["calls", "callRevisions", "recordings", "voicemails", "transcriptions", "messageRevisions", "itemErrors",
                                   "excluded", "tombstoned", "sms", "mms", "pager", "faxes", "attachments", "messagesGone", "goneUnarchived",
                                   "insights", "insightsRevised"]
    /// The rate-limit groups, in this order.
    public static let groups = ["heavy", "medium", "light", "auth"]

    public var runId: String
    public var tenantId: String
    public var status: Status
    public var startedAt: Timestamp
    public var endedAt: Timestamp?
    public var windowFrom: Timestamp?
    public var windowTo: Timestamp?
    public var counts: [String: Int] = [:]
    public var bytes: Int64 = 0
    public var pending = 0
    public var quarantined = 0
    /// Requests and 429s per group name.
    public var requests: [String: (requests: Int, throttled: Int)] = [:]
    public var errors: [String] = []
    public var warnings: [String] = []
    public var failure: String?

    public init(runId: String, tenantId: String, status: Status, startedAt: Timestamp) {
        self.runId = runId
        self.tenantId = tenantId
        self.status = status
        self.startedAt = startedAt
    }

    public var json: JSON {
        var object = JSONObject()
        object["runId"] = .string(runId)
        object["tenantId"] = .string(tenantId)
        object["status"] = .string(status.rawValue)
        object["startedAt"] = .string(startedAt.iso8601)
        object["endedAt"] = endedAt.map { .string($0.iso8601) } ?? .null
        object["window"] = ["from": windowFrom.map { .string($0.iso8601) } ?? .null, "to": windowTo.map { .string($0.iso8601) } ?? .null]
        var countObject = JSONObject()
        for key in Self.countKeys { countObject[key] = .int(counts[key] ?? 0) }
        object["counts"] = .object(countObject)
        object["bytes"] = .int(bytes)
        object["pending"] = .int(pending)
        object["quarantined"] = .int(quarantined)
        var requestObject = JSONObject()
        for group in Self.groups {
            let statistics = requests[group] ?? (0, 0)
            requestObject[group] = ["requests": .int(statistics.requests), "429s": .int(statistics.throttled)]
        }
        object["requests"] = .object(requestObject)
        object["errors"] = .array(errors.prefix(50).map { .string($0) })
        object["warnings"] = .array(warnings.prefix(50).map { .string($0) })
        if let failure { object["failure"] = .string(failure) }
        return .object(object)
    }

    /// Reads a line back (for reports and for a run that looks at the one before it).
    public init?(json: JSON) {
        func time(_ value: JSON?) -> Timestamp? { value?.stringValue.flatMap { Timestamp(iso8601: $0) } }
        guard let runId = json["runId"]?.stringValue, let tenantId = json["tenantId"]?.stringValue,
            let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:)), let startedAt = time(json["startedAt"])
        else { return nil }
        self.init(runId: runId, tenantId: tenantId, status: status, startedAt: startedAt)
        endedAt = time(json["endedAt"])
        windowFrom = time(json["window"]?["from"])
        windowTo = time(json["window"]?["to"])
        for key in Self.countKeys { if let value = json["counts"]?[key]?.int64Value { counts[key] = Int(value) } }
        bytes = json["bytes"]?.int64Value ?? 0
        pending = Int(json["pending"]?.int64Value ?? 0)
        quarantined = Int(json["quarantined"]?.int64Value ?? 0)
        for group in Self.groups {
            if let entry = json["requests"]?[group] {
                requests[group] = (Int(entry["requests"]?.int64Value ?? 0), Int(entry["429s"]?.int64Value ?? 0))
            }
        }
        errors = json["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        warnings = json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        failure = json["failure"]?.stringValue
    }
}

extension TenantStore {
    /// Every run-log line that parses, oldest first.
    public func forEachRunLogLine(_ body: (RunLogLine) throws -> Void) throws {
        try DurableFiles.forEachLine(DurableFiles.join(logDirectory, Self.runLogName)) { bytes in
            if let json = try? JSON.parse(bytes), let line = RunLogLine(json: json) { try body(line) }
        }
    }
}

extension TenantWriter {
    public func appendRunLine(_ line: RunLogLine) throws { try appendRunLine(line.json) }
}
