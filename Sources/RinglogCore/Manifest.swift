import RinglogSupport

/// The manifest: `manifest/YYYY-MM.jsonl`, one shard per UTC month of the items' start times,
/// append-only. Every line is derived from a sidecar alone (one per record revision, one per media
/// file), which is what lets `ringlog reindex` rebuild it with identical content. A run appends only
/// the lines it adds and never reads more than the shards of the months it touches.
public final class Manifest {
    public static let directoryName = "manifest"
    let tenantDirectory: String
    private var shards: [String: Shard] = [:]

    struct Shard {
        var lines: Set<String> = []
        /// Latest sidecar path per call id / message id, and the file per recording id.
        var callSidecars: [String: String] = [:]
        var messageSidecars: [String: String] = [:]
    }

    public init(tenantDirectory: String) { self.tenantDirectory = tenantDirectory }

    var directory: String { DurableFiles.join(tenantDirectory, Self.directoryName) }

    static func shardFile(_ month: String) -> String { "\(month).jsonl" }

    private func shard(_ month: String) throws -> Shard {
        if let loaded = shards[month] { return loaded }
        var shard = Shard()
        let path = DurableFiles.join(directory, Self.shardFile(month))
        if DurableFiles.exists(path) {
            let text = String(decoding: try DurableFiles.read(path), as: UTF8.self)
            for line in text.split(separator: "\n") where !line.isEmpty {
                shard.lines.insert(String(line))
                guard let json = try? JSON.parse(String(line)), let relative = json["path"]?.stringValue else { continue }
                switch json["kind"]?.stringValue {
                case "call": if let id = json["callId"]?.stringValue { shard.callSidecars[id] = relative }
                case "message": if let id = json["messageId"]?.stringValue { shard.messageSidecars[id] = relative }
                default: break
                }
            }
        }
        shards[month] = shard
        return shard
    }

    /// Where the sidecar of call `callId` (started at `start`) already is, if archived before.
    public func callSidecarPath(callId: String, start: Timestamp) throws -> String? {
        try shard(ArchiveNames.monthShard(start)).callSidecars[callId]
    }

    public func messageSidecarPath(messageId: String, created: Timestamp) throws -> String? {
        try shard(ArchiveNames.monthShard(created)).messageSidecars[messageId]
    }

    /// Appends the lines of `sidecar` that the shard does not hold yet. Returns how many were added.
    @discardableResult
    public func record(_ sidecar: Sidecar, at relativePath: String) throws -> Int {
        guard let start = sidecar.item["startTime"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else {
            throw ConfigurationError("\(relativePath): archive.item.startTime is missing")
        }
        let month = ArchiveNames.monthShard(start)
        var current = try shard(month)
        var added = 0
        for line in Self.lines(for: sidecar, at: relativePath) {
            let text = line.serialized()
            guard !current.lines.contains(text) else { continue }
            if added == 0 { try DurableFiles.createDirectories(directory) }
            try DurableFiles.appendLine(DurableFiles.join(directory, Self.shardFile(month)), text)
            current.lines.insert(text)
            added += 1
        }
        switch sidecar.kind {
        case .call: if let id = sidecar.item["callId"]?.stringValue { current.callSidecars[id] = relativePath }
        case .voicemail: if let id = sidecar.item["messageId"]?.stringValue { current.messageSidecars[id] = relativePath }
        }
        shards[month] = current
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
        for media in sidecar.media {
            var object = JSONObject()
            object["kind"] = .string(media.kind.rawValue)
            object["path"] = .string(DurableFiles.join(directory, media.file))
            ids(&object)
            object[media.kind == .recording ? "recordingId" : "attachmentId"] = .string(media.id)
            object["startTime"] = item["startTime"] ?? .null
            object["sha256"] = .string(media.sha256)
            object["size"] = .int(media.size)
            object["contentType"] = .string(media.contentType)
            object["archivedAt"] = .string(media.archivedAt.iso8601)
            lines.append(.object(object))
        }
        return lines
    }

    /// `ringlog reindex`: rebuilds every shard from the sidecars alone (lines sorted), replacing each
    /// shard atomically. Returns the shard contents it wrote (or would write, on a dry run).
    public static func rebuild(tenantDirectory: String, dryRun: Bool) throws -> [String: [String]] {
        var shards: [String: [String]] = [:]
        for sidecarPath in try sidecarPaths(tenantDirectory: tenantDirectory) {
            let sidecar = try Sidecar.parse(try DurableFiles.read(DurableFiles.join(tenantDirectory, sidecarPath)), path: sidecarPath)
            guard let start = sidecar.item["startTime"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else {
                throw ConfigurationError("\(sidecarPath): archive.item.startTime is missing")
            }
            shards[ArchiveNames.monthShard(start), default: []] += lines(for: sidecar, at: sidecarPath).map { $0.serialized() }
        }
        let directory = DurableFiles.join(tenantDirectory, directoryName)
        guard !dryRun else { return shards.mapValues { $0.sorted() } }
        try DurableFiles.createDirectories(directory)
        for (month, lines) in shards {
            let text = lines.sorted().joined(separator: "\n") + "\n"
            try DurableFiles.writeAtomically(DurableFiles.join(directory, shardFile(month)), Array(text.utf8))
        }
        // A shard with no sidecar behind it any more (its items were purged) is removed.
        for name in DurableFiles.list(directory) where name.hasSuffix(".jsonl") && shards[String(name.dropLast(6))] == nil {
            try DurableFiles.writeAtomically(DurableFiles.join(directory, name), [])
        }
        return shards.mapValues { $0.sorted() }
    }

    /// Relative paths of every sidecar: `<extension>/<YYYY-MM-DD>/<name>.json`.
    public static func sidecarPaths(tenantDirectory: String) throws -> [String] {
        var result: [String] = []
        for folder in DurableFiles.list(tenantDirectory) where !folder.hasPrefix(".") && folder != directoryName && folder != "logs"
            && DurableFiles.isDirectory(DurableFiles.join(tenantDirectory, folder))
        {
            for day in DurableFiles.list(DurableFiles.join(tenantDirectory, folder)) where !day.hasPrefix(".") {
                let dayPath = DurableFiles.join(tenantDirectory, folder, day)
                guard DurableFiles.isDirectory(dayPath) else { continue }
                for name in DurableFiles.list(dayPath) where name.hasSuffix(".json") && !name.hasPrefix(".") {
                    result.append(DurableFiles.join(folder, day, name))
                }
            }
        }
        return result
    }
}
