import RinglogSupport

/// The manifest: `manifest/YYYY-MM.jsonl`, one shard per UTC month of the items' start times,
/// append-only. Every line is derived from a sidecar alone (one per record revision, one per media
/// file), which is what lets `ringlog reindex` rebuild it with identical content.
///
/// Lookups are bounded: a loaded shard keeps a 64-bit hash per line (not the line) and the sidecar
/// path per item id, and at most `maximumLoadedShards` shards stay loaded (least recently used go).
public final class Manifest {
    public static let directoryName = "manifest"
    public static let maximumLoadedShards = 3
    let tenantDirectory: String
    private var shards: [String: Shard] = [:]
    private var recentlyUsed: [String] = []

    struct Shard {
        var lineHashes = Set<Int>()
        /// Sidecar path per call id / message id.
        var callSidecars: [String: String] = [:]
        var messageSidecars: [String: String] = [:]
        /// The call id whose sidecar holds each recording (a recording is stored with one call).
        var recordingCalls: [String: String] = [:]
    }

    public init(tenantDirectory: String) { self.tenantDirectory = tenantDirectory }

    var directory: String { DurableFiles.join(tenantDirectory, Self.directoryName) }

    static func shardFile(_ month: String) -> String { "\(month).jsonl" }
    func shardPath(_ month: String) -> String { DurableFiles.join(directory, Self.shardFile(month)) }

    static func hash(_ line: some Sequence<UInt8>) -> Int {
        var hasher = Hasher()
        for byte in line { hasher.combine(byte) }
        return hasher.finalize()
    }

    private func shard(_ month: String) throws -> Shard {
        recentlyUsed.removeAll { $0 == month }
        recentlyUsed.append(month)
        if let loaded = shards[month] { return loaded }
        var shard = Shard()
        try DurableFiles.forEachLine(shardPath(month)) { line in
            shard.lineHashes.insert(Self.hash(line))
            guard let json = try? JSON.parse(line), let relative = json["path"]?.stringValue else { return }
            switch json["kind"]?.stringValue {
            case "call": if let id = json["callId"]?.stringValue { shard.callSidecars[id] = relative }
            case "message": if let id = json["messageId"]?.stringValue { shard.messageSidecars[id] = relative }
            case "recording":
                if let id = json["recordingId"]?.stringValue, let call = json["callId"]?.stringValue { shard.recordingCalls[id] = call }
            default: break
            }
        }
        while recentlyUsed.count > Self.maximumLoadedShards { shards[recentlyUsed.removeFirst()] = nil }
        shards[month] = shard
        return shard
    }

    /// Where the sidecar of call `callId` (started at `start`) already is, if archived before.
    public func callSidecarPath(callId: String, start: Timestamp) throws -> String? {
        try shard(ArchiveNames.monthShard(start)).callSidecars[callId]
    }

    /// The sidecar that holds recording `recordingId` of a call started at `start`, if archived: the
    /// shard of `start`'s month, and of the neighbouring month when `start` is within a day of it (the
    /// records of one transferred call start minutes apart, possibly across a month's end).
    public func recordingSidecarPath(recordingId: String, near start: Timestamp) throws -> String? {
        var months = [ArchiveNames.monthShard(start)]
        for neighbour in [start.adding(seconds: -86_400), start.adding(seconds: 86_400)] where !months.contains(ArchiveNames.monthShard(neighbour)) {
            months.append(ArchiveNames.monthShard(neighbour))
        }
        for month in months {
            let loaded = try shard(month)
            if let call = loaded.recordingCalls[recordingId], let sidecar = loaded.callSidecars[call] { return sidecar }
        }
        return nil
    }

    public func messageSidecarPath(messageId: String, created: Timestamp) throws -> String? {
        try shard(ArchiveNames.monthShard(created)).messageSidecars[messageId]
    }

    /// The lines of `sidecar` that its shard does not hold yet, with the shard's path. `append` is
    /// called for each (the writer appends durably); the index learns a line only once it is on disk.
    func record(_ sidecar: Sidecar, at relativePath: String, append: (String, String) throws -> Void) throws -> Int {
        let month = ArchiveNames.monthShard(sidecar.startTime)
        var current = try shard(month)
        var added = 0
        defer { shards[month] = current }
        for line in Self.lines(for: sidecar, at: relativePath) {
            let text = line.serialized()
            let hash = Self.hash(text.utf8)
            guard !current.lineHashes.contains(hash) else { continue }
            if added == 0 { try DurableFiles.createDirectories(directory) }
            try append(shardPath(month), text)
            current.lineHashes.insert(hash)
            added += 1
        }
        switch sidecar.kind {
        case .call:
            if let id = sidecar.item["callId"]?.stringValue {
                current.callSidecars[id] = relativePath
                for entry in sidecar.media where entry.kind == .recording { current.recordingCalls[entry.id] = id }
            }
        case .voicemail: if let id = sidecar.item["messageId"]?.stringValue { current.messageSidecars[id] = relativePath }
        }
        return added
    }

    /// Every manifest line a sidecar implies, in a fixed key order.
    public static func lines(for sidecar: Sidecar, at relativePath: String) -> [JSON] {
        let item = sidecar.item
        let directory = DurableFiles.parentDirectory(of: relativePath)
        func ids(_ object: inout JSONObject) {
            for key in ["callId", "messageId", "extensionId"] { if let value = item[key] { object[key] = value } }
        }
        var lines: [JSON] = []
        for revision in sidecar.revisions {
            var object = JSONObject()
            object["kind"] = sidecar.kind == .call ? "call" : "message"
            object["path"] = .string(relativePath)
            ids(&object)
            object["startTime"] = item["startTime"] ?? .null
            object["revision"] = .int(revision.revision)
            object["lastModifiedTime"] = revision.lastModifiedTime.map { .string($0) } ?? .null
            object["archivedAt"] = .string(revision.archivedAt.iso8601)
            lines.append(.object(object))
        }
        // Removed media keep their lines: the manifest is history, the tombstone says the file is gone.
        for media in sidecar.media + sidecar.removedMedia.map(\.entry) {
            var object = JSONObject()
            object["kind"] = .string(media.kind.rawValue)
            object["path"] = .string(DurableFiles.join(directory, media.file))
            ids(&object)
            object[media.kind == .recording || media.kind == .insights ? "recordingId" : "attachmentId"] = .string(media.id)
            object["startTime"] = item["startTime"] ?? .null
            object["sha256"] = .string(media.sha256)
            object["size"] = .int(media.size)
            object["contentType"] = .string(media.contentType)
            object["archivedAt"] = .string(media.archivedAt.iso8601)
            lines.append(.object(object))
        }
        return lines
    }

    /// One shard as `reindex` rebuilds it from the sidecars alone.
    public struct RebuiltShard: Sendable {
        public let month: String
        /// Sorted (byte order), as written.
        public let lines: [String]
        /// Sidecars that could not be used; while there are any, the shard is not rewritten (their
        /// lines cannot be derived, and dropping them would hide the items).
        public let unreadable: [SidecarError]
    }

    /// Rebuilds the shards one month at a time (memory: one month's lines). `report` sees each shard
    /// before `write` replaces it (nil for a dry run). Shards whose month has no sidecar any more are emptied.
    public static func rebuild(tenantDirectory: String, write: ((String, [UInt8]) throws -> Void)?,
                               _ report: (RebuiltShard) -> Void) throws {
        let reader = ArchiveReader(tenantDirectory: tenantDirectory)
        let manifestDirectory = DurableFiles.join(tenantDirectory, directoryName)
        var months = Set<String>()
        for month in reader.months() {
            var lines: [String] = []
            var unreadable: [SidecarError] = []
            try reader.forEachFile(inMonth: month) { entry in
                guard entry.kind == .callSidecar || entry.kind == .voicemailSidecar else { return }
                do {
                    let bytes: [UInt8]
                    do throws(ArchiveIOError) { bytes = try DurableFiles.read(DurableFiles.join(tenantDirectory, entry.relativePath)) } catch {
                        throw SidecarError(entry.relativePath, "cannot be read (\(ArchiveIOError.plainReason(error.code)))")
                    }
                    let sidecar = try Sidecar.parse(bytes, path: entry.relativePath)
                    guard ArchiveNames.monthShard(sidecar.startTime) == month else {
                        throw SidecarError(entry.relativePath, "archive.item.startTime \(sidecar.startTime.iso8601) is not in its folder's month")
                    }
                    lines += Self.lines(for: sidecar, at: entry.relativePath).map { $0.serialized() }
                } catch let error as SidecarError {
                    unreadable.append(error)
                }
            }
            months.insert(month)
            lines += try removedItemLines(tenantDirectory: tenantDirectory, month: month, derived: Set(lines))
            let shard = RebuiltShard(month: month, lines: lines.sorted(), unreadable: unreadable)
            report(shard)  // before the shard is replaced, so the caller can compare with what is there
            if let write, unreadable.isEmpty {
                try DurableFiles.createDirectories(manifestDirectory)
                try write(DurableFiles.join(manifestDirectory, shardFile(month)), Array(shard.lines.map { $0 + "\n" }.joined().utf8))
            }
        }
        // A shard with no sidecar behind it any more keeps only the lines of items a pass removed
        // (their tombstones say so); anything else in it had no sidecar and is dropped.
        for name in DurableFiles.list(manifestDirectory) where name.hasSuffix(".jsonl") && !months.contains(String(name.dropLast(6))) {
            let month = String(name.dropLast(6))
            let kept = try removedItemLines(tenantDirectory: tenantDirectory, month: month, derived: []).sorted()
            report(RebuiltShard(month: month, lines: kept, unreadable: []))
            if let write { try write(DurableFiles.join(manifestDirectory, name), Array(kept.map { $0 + "\n" }.joined().utf8)) }
        }
    }

    /// Lines of the shard on disk whose file a retention or exclusion pass removed (a tombstone
    /// that was not restored names their path), which no sidecar can imply any more: history, kept.
    static func removedItemLines(tenantDirectory: String, month: String, derived: Set<String>) throws -> [String] {
        let removed = Set(try Tombstone.state(tenantDirectory: tenantDirectory, month: month).values.filter(\.isRemoval).map(\.path))
        guard !removed.isEmpty else { return [] }
        var kept: [String] = []
        try DurableFiles.forEachLine(DurableFiles.join(tenantDirectory, directoryName, shardFile(month))) { bytes in
            let line = String(decoding: bytes, as: UTF8.self)
            guard !derived.contains(line), let json = try? JSON.parse(bytes), let path = json["path"]?.stringValue, removed.contains(path) else { return }
            kept.append(line)
        }
        return kept
    }

    /// Relative paths of every sidecar, month by month (`<extension>/<YYYY-MM-DD>/<name>.json`).
    public static func sidecarPaths(tenantDirectory: String) throws -> [String] {
        var paths: [String] = []
        try ArchiveReader(tenantDirectory: tenantDirectory).forEachFile { entry in
            if entry.kind == .callSidecar || entry.kind == .voicemailSidecar { paths.append(entry.relativePath) }
        }
        return paths
    }

    /// Lines of the shard of `month` as they are on disk (complete lines only).
    public static func currentLines(tenantDirectory: String, month: String) throws -> Set<String> {
        var lines = Set<String>()
        try DurableFiles.forEachLine(DurableFiles.join(tenantDirectory, directoryName, shardFile(month))) { line in
            lines.insert(String(decoding: line, as: UTF8.self))
        }
        return lines
    }
}
