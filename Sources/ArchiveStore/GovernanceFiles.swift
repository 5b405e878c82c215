import RinglogSupport

/// One line of `<tenant>/logs/audit.jsonl`: a change to what the archive keeps — a policy change, a
/// hold placed or released, a purge run (with its counts and guard decisions), an exclusion rule
/// added, removed or applied, trash restored or emptied. Never a phone number in clear.
public struct AuditLine: Sendable {
    public static let fileName = "audit.jsonl"
    public let at: Timestamp
    public let actor: String
    /// `policy.set`, `hold.add`, `hold.release`, `purge`, `exclusion.add`, `exclusion.remove`,
    /// `exclusion.apply`, `trash.restore`, `trash.empty`, `tenant.set`.
    public let action: String
    public let reason: String
    public let runId: String?
    /// What changed (before/after, ids, counts).
    public let changes: JSONObject

    public init(at: Timestamp, actor: String, action: String, reason: String, runId: String? = nil, changes: JSONObject) {
        self.at = at
        self.actor = actor
        self.action = action
        self.reason = reason
        self.runId = runId
        self.changes = changes
    }

    public var json: JSON {
        var object: JSONObject = ["at": .string(at.iso8601), "actor": .string(actor), "action": .string(action), "reason": .string(reason)]
        if let runId { object["runId"] = .string(runId) }
        object["changes"] = .object(changes)
        return .object(object)
    }
}

/// `.trash/<runId>/trash.json`: when a purge run moved files into this folder and when a later purge
/// may empty it.
public struct TrashRun: Sendable, Equatable {
    public static let directoryName = ".trash"
    public static let fileName = "trash.json"
    public let runId: String
    public let trashedAt: Timestamp
    public let expiresAt: Timestamp
    public let trashDays: Int

    public init(runId: String, trashedAt: Timestamp, trashDays: Int) {
        self.runId = runId
        self.trashedAt = trashedAt
        self.trashDays = trashDays
        self.expiresAt = trashedAt.adding(milliseconds: Int64(trashDays) * 86_400_000)
    }

    public var bytes: [UInt8] {
        let object: JSON = ["format": "ringlog-trash", "layoutVersion": .int(ArchiveNames.layoutVersion), "runId": .string(runId),
                            "trashedAt": .string(trashedAt.iso8601), "expiresAt": .string(expiresAt.iso8601), "trashDays": .int(trashDays)]
        return object.serializedBytes(.pretty) + [0x0A]
    }

    public static func load(_ path: String) throws -> TrashRun? {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return nil }
        let json = try parseControlFile(bytes, path: path)
        _ = try checkControlFile(json, format: "ringlog-trash", path: path)
        guard let runId = json["runId"]?.stringValue, let at = json["trashedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
            let days = json["trashDays"]?.int64Value, (0...3650).contains(days)
        else { throw ControlFileError(path, "runId, trashedAt or trashDays is missing or malformed") }
        return TrashRun(runId: runId, trashedAt: at, trashDays: Int(days))
    }

    /// Run ids name folders: `YYYYMMDDTHHMMSSZ-<hex>`, nothing else.
    public static func isRunId(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 18, bytes.count <= 40, bytes[8] == 0x54, bytes[15] == 0x5A, bytes[16] == 0x2D else { return false }
        return bytes[0..<8].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && bytes[9..<15].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            && bytes[17...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    public static func newRunId(at time: Timestamp) -> String {
        ArchiveNames.compactTimestamp(time) + "-" + String(Lease.randomToken().prefix(8))
    }
}

/// `.ringlog/removal.json`: a removal run (purge or exclusion apply) in progress. Written before its
/// first tombstone, removed after its last file: a run that finds it finishes the interrupted run's
/// tombstones first, under the same run id, so a killed run and its rerun end exactly as one
/// uninterrupted run would (layout-spec §14.6).
public struct RemovalJournal: Sendable, Equatable {
    public static let fileName = "removal.json"
    public enum Pass: String, Sendable { case purge, exclusion }
    public let runId: String
    public let pass: Pass
    public let startedAt: Timestamp
    /// Days the run's files stay in `.trash/<runId>/`; nil: deleted at once.
    public let trashDays: Int?

    public init(runId: String, pass: Pass, startedAt: Timestamp, trashDays: Int?) {
        self.runId = runId
        self.pass = pass
        self.startedAt = startedAt
        self.trashDays = trashDays
    }

    public var bytes: [UInt8] {
        var object: JSONObject = ["format": "ringlog-removal", "layoutVersion": .int(ArchiveNames.layoutVersion), "runId": .string(runId),
                                  "pass": .string(pass.rawValue), "startedAt": .string(startedAt.iso8601)]
        object["trashDays"] = trashDays.map { .int($0) } ?? .null
        return JSON.object(object).serializedBytes(.pretty) + [0x0A]
    }

    public static func load(_ path: String) throws -> RemovalJournal? {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return nil }
        let json = try parseControlFile(bytes, path: path)
        _ = try checkControlFile(json, format: "ringlog-removal", path: path)
        guard let runId = json["runId"]?.stringValue, TrashRun.isRunId(runId), let pass = json["pass"]?.stringValue.flatMap(Pass.init(rawValue:)),
            let at = json["startedAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { throw ControlFileError(path, "runId, pass or startedAt is missing or malformed") }
        let days = json["trashDays"]?.int64Value.map(Int.init)
        return RemovalJournal(runId: runId, pass: pass, startedAt: at, trashDays: days)
    }
}

extension TenantStore {
    public var policyPath: String { path(RetentionPolicy.fileName) }
    public var holdsPath: String { path(HoldLog.fileName) }
    public var exclusionsPath: String { path(ExclusionLog.fileName) }
    public var auditPath: String { DurableFiles.join(logDirectory, AuditLine.fileName) }
    public var trashDirectory: String { path(TrashRun.directoryName) }
    public var removalJournalPath: String { DurableFiles.join(controlDirectory, RemovalJournal.fileName) }

    public func loadPolicy() throws -> RetentionPolicy? { try RetentionPolicy.load(policyPath) }
    public func loadHolds() throws -> [LegalHold] { try HoldLog.load(holdsPath) }
    public func loadExclusions() throws -> [ExclusionRule] { try ExclusionLog.load(exclusionsPath) }
    public func loadRemovalJournal() throws -> RemovalJournal? { try RemovalJournal.load(removalJournalPath) }

    /// Trash run folders, oldest first.
    public func trashRuns() -> [String] { DurableFiles.list(trashDirectory).filter(TrashRun.isRunId) }

    /// Every audit line that parses, oldest first.
    public func forEachAuditLine(_ body: (JSON) throws -> Void) throws {
        try DurableFiles.forEachLine(auditPath) { bytes in if let json = try? JSON.parse(bytes) { try body(json) } }
    }
}

extension TenantWriter {
    public func appendAudit(_ line: AuditLine) throws {
        try check()
        try DurableFiles.createDirectories(store.logDirectory)
        try append(line.json.serialized(), to: store.auditPath)
    }

    /// Appends an event to `holds.jsonl` or `exclusions.jsonl` (durable before the command reports it).
    public func appendGovernanceEvent(_ event: JSON, to path: String) throws {
        try append(event.serialized(), to: path)
    }

    public func savePolicy(_ policy: RetentionPolicy) throws {
        try check()
        try DurableFiles.writeAtomically(store.policyPath, policy.bytes, owner: owner)
    }
}
