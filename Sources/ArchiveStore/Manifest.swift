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
    /// Lines recorded with `deferring` and not written yet, per month in order: already in the index
    /// (so a shard holding some is never unloaded, or reloading it from disk would forget them).
    private var unwritten: [String: [String]] = [:]

    /// How many recorded lines wait for `writeUnwritten`.
    public var unwrittenLineCount: Int { unwritten.values.reduce(0) { $0 + $1.count } }

    /// A loaded month. A class: `record` updates it in place (a struct copied out of `shards` and
    /// back copied its tables on every sidecar). Paths are packed (`PackedStrings`): a month of a busy
    /// account is thousands of them, kept while the shard is loaded.
    final class Shard {
        var lineHashes = Set<Int>()
        var paths = PackedStrings()
        /// Sidecar path per call id / message id.
        var callSidecars = IdMap<PackedStrings.Ref>()
        var messageSidecars = IdMap<PackedStrings.Ref>()
        /// The call id whose sidecar holds each recording (a recording is stored with one call).
        var recordingCalls = IdMap<String>()
        /// Message id → the call sidecars whose records link it (`messageLink` lines): the first, and
        /// any further ones (rare: one message is linked by one call's records).
        var messageCall = IdMap<PackedStrings.Ref>()
        var moreMessageCalls: [String: [PackedStrings.Ref]] = [:]

        func callSidecar(_ callId: String) -> String? { callSidecars[callId].map { paths[$0] } }
        func messageSidecar(_ messageId: String) -> String? { messageSidecars[messageId].map { paths[$0] } }

        func setCallSidecar(_ callId: String, _ path: String) { set(&callSidecars, callId, path) }
        func setMessageSidecar(_ messageId: String, _ path: String) { set(&messageSidecars, messageId, path) }

        /// `table[id] = path`, its bytes appended only when it changed (a sidecar recorded again at its path adds none).
        private func set(_ table: inout IdMap<PackedStrings.Ref>, _ id: String, _ path: String) {
            if let existing = table[id], paths.equals(existing, path) { return }
            table[id] = paths.append(path)
        }

        func callsLinking(_ messageId: String) -> [String] {
            guard let first = messageCall[messageId] else { return [] }
            return [paths[first]] + (moreMessageCalls[messageId] ?? []).map { paths[$0] }
        }

        func addCallLinking(_ messageId: String, _ path: String) {
            guard let first = messageCall[messageId] else {
                messageCall[messageId] = paths.append(path)
                return
            }
            let more = moreMessageCalls[messageId] ?? []
            guard !paths.equals(first, path), !more.contains(where: { paths.equals($0, path) }) else { return }
            moreMessageCalls[messageId] = more + [paths.append(path)]
        }
    }

    public init(tenantDirectory: String) { self.tenantDirectory = tenantDirectory }

    var directory: String { DurableFiles.join(tenantDirectory, Self.directoryName) }

    static func shardFile(_ month: String) -> String { "\(month).jsonl" }
    func shardPath(_ month: String) -> String { DurableFiles.join(directory, Self.shardFile(month)) }

    /// A line's hash, over its bytes in one call (byte by byte, hashing was most of a shard's load:
    /// a month of a busy account is some 6,000 lines, loaded by every run that meets one of its items).
    static func hash(_ line: some Collection<UInt8>) -> Int {
        var hasher = Hasher()
        if line.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            Array(line).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
        return hasher.finalize()
    }

    private func shard(_ month: String) throws -> Shard {
        recentlyUsed.removeAll { $0 == month }
        recentlyUsed.append(month)
        if let loaded = shards[month] { return loaded }
        let shard = Shard()
        var scratch: [Range<Int>] = []
        try DurableFiles.forEachLine(shardPath(month)) { line in
            shard.lineHashes.insert(Self.hash(line))
            guard let indexed = IndexedLine(line, scratch: &scratch), let relative = indexed.path else { return }
            switch indexed.kind {
            case "call": if let id = indexed.callId { shard.setCallSidecar(id, relative) }
            case "message": if let id = indexed.messageId { shard.setMessageSidecar(id, relative) }
            case "recording":
                if let id = indexed.recordingId, let call = indexed.callId { shard.recordingCalls[id] = call }
            case "messageLink":
                if let id = indexed.messageId { shard.addCallLinking(id, relative) }
            default: break
            }
        }
        // Least recently used first; a shard with unwritten lines stays (at most a checkpoint's worth of months).
        var unloadable = recentlyUsed.filter { unwritten[$0] == nil && $0 != month }
        while shards.count >= Self.maximumLoadedShards, !unloadable.isEmpty {
            let oldest = unloadable.removeFirst()
            shards[oldest] = nil
            recentlyUsed.removeAll { $0 == oldest }
        }
        shards[month] = shard
        return shard
    }

    /// Where the sidecar of call `callId` (started at `start`) already is, if archived before.
    public func callSidecarPath(callId: String, start: Timestamp) throws -> String? {
        try shard(ArchiveNames.monthShard(start)).callSidecar(callId)
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
            if let call = loaded.recordingCalls[recordingId], let sidecar = loaded.callSidecar(call) { return sidecar }
        }
        return nil
    }

    public func messageSidecarPath(messageId: String, created: Timestamp) throws -> String? {
        try shard(ArchiveNames.monthShard(created)).messageSidecar(messageId)
    }

    /// The months a linked call and message can be filed in: `time`'s, and the neighbouring month
    /// when `time` is within a day of it (a voicemail is created seconds after its call started).
    static func months(near time: Timestamp) -> [String] {
        var months = [ArchiveNames.monthShard(time)]
        for neighbour in [time.adding(seconds: -86_400), time.adding(seconds: 86_400)] where !months.contains(ArchiveNames.monthShard(neighbour)) {
            months.append(ArchiveNames.monthShard(neighbour))
        }
        return months
    }

    /// The sidecar of message `messageId` a call started at `start` links, if archived (§6.7).
    public func messageSidecarPath(messageId: String, near start: Timestamp) throws -> String? {
        for month in Self.months(near: start) { if let found = try shard(month).messageSidecar(messageId) { return found } }
        return nil
    }

    /// The call sidecars whose records link message `messageId` created at `created` (§6.7).
    public func callSidecarsLinking(messageId: String, near created: Timestamp) throws -> [String] {
        var found: [String] = []
        for month in Self.months(near: created) {
            for path in try shard(month).callsLinking(messageId) where !found.contains(path) { found.append(path) }
        }
        return found
    }

    /// Where the sidecars of `messageIds` are, for ISync notices of deleted or purged messages,
    /// which carry no creation time: the shards are read newest first until every id is found
    /// (one pass over the manifest at most, holding only the ids asked for).
    public func locateMessages(_ messageIds: Set<String>) throws -> [String: String] {
        var found: [String: String] = [:]
        guard !messageIds.isEmpty else { return found }
        let months = DurableFiles.list(directory).filter { $0.hasSuffix(".jsonl") }.map { String($0.dropLast(6)) }.sorted(by: >)
        var scratch: [Range<Int>] = []
        func look(at line: ArraySlice<UInt8>) {
            guard let indexed = IndexedLine(line, scratch: &scratch), indexed.kind == "message", let id = indexed.messageId,
                messageIds.contains(id), found[id] == nil, let path = indexed.path
            else { return }
            found[id] = path
        }
        // Lines not written yet (this run's, since its last checkpoint) first: they are the newest.
        for lines in unwritten.values { for line in lines { look(at: ArraySlice(line.utf8)) } }
        for month in months where found.count < messageIds.count {
            try DurableFiles.forEachLine(shardPath(month)) { look(at: $0) }
        }
        return found
    }

    /// The lines of `sidecar` that its shard does not hold yet, with the shard's path. `append` is
    /// called for each (the writer appends durably); the index learns a line only once it is on disk.
    /// `deferring`: the lines are kept for `writeUnwritten` instead (the index learns them now).
    func record(_ sidecar: Sidecar, at relativePath: String, deferring: Bool = false,
                append: (String, String) throws -> Void) throws -> Int {
        let month = ArchiveNames.monthShard(sidecar.startTime)
        let current = try shard(month)
        var added = 0
        for line in Self.lines(for: sidecar, at: relativePath) {
            let text = line.serialized()
            let hash = Self.hash(text.utf8)
            guard !current.lineHashes.contains(hash) else { continue }
            if deferring {
                unwritten[month, default: []].append(text)
            } else {
                if added == 0 { try DurableFiles.createDirectories(directory) }
                try append(shardPath(month), text)
            }
            current.lineHashes.insert(hash)
            added += 1
        }
        switch sidecar.kind {
        case .call:
            if let id = sidecar.item["callId"]?.stringValue {
                current.setCallSidecar(id, relativePath)
                for entry in sidecar.media where entry.kind == .recording { current.recordingCalls[entry.id] = id }
            }
            if let link = sidecar.messageLink { current.addCallLinking(link.id, relativePath) }
        case .voicemail, .message: if let id = sidecar.item["messageId"]?.stringValue { current.setMessageSidecar(id, relativePath) }
        }
        return added
    }

    /// Hands each month's unwritten lines to `write` (the shard's path and the lines, in the order
    /// recorded), oldest month first. A month whose write throws keeps its lines, for the next call.
    func writeUnwritten(_ write: (String, [String]) throws -> Void) throws {
        guard !unwritten.isEmpty else { return }
        try DurableFiles.createDirectories(directory)
        for month in unwritten.keys.sorted() {
            try write(shardPath(month), unwritten[month]!)
            unwritten[month] = nil
        }
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
            object["kind"] = sidecar.kind == .call ? "call" : "message"  // fax, SMS and pager sidecars too
            object["path"] = .string(relativePath)
            ids(&object)
            object["startTime"] = item["startTime"] ?? .null
            object["revision"] = .int(revision.revision)
            object["lastModifiedTime"] = revision.lastModifiedTime.map { .string($0) } ?? .null
            object["archivedAt"] = .string(revision.archivedAt.iso8601)
            lines.append(.object(object))
        }
        // A call that links a message: how the message finds the call (§6.7). Derived from the link's
        // id only, so completing the link later implies no new line.
        if sidecar.kind == .call, let link = sidecar.messageLink {
            var object = JSONObject()
            object["kind"] = "messageLink"
            object["path"] = .string(relativePath)
            if let value = item["callId"] { object["callId"] = value }
            if let value = item["extensionId"] { object["extensionId"] = value }
            object["messageId"] = .string(link.id)
            object["startTime"] = item["startTime"] ?? .null
            object["archivedAt"] = .string(sidecar.revisions[0].archivedAt.iso8601)
            lines.append(.object(object))
        }
        // Removed media keep their lines: the manifest is history, the tombstone says the file is gone.
        for media in sidecar.media + sidecar.removedMedia.map(\.entry) {
            var object = JSONObject()
            object["kind"] = .string(media.kind.rawValue)
            object["path"] = .string(DurableFiles.join(directory, media.file))
            ids(&object)
            object[media.isRecordingMedia ? "recordingId" : "attachmentId"] = .string(media.id)
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
                guard entry.kind.isSidecar else { return }
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
            if entry.kind.isSidecar { paths.append(entry.relativePath) }
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

/// The members a manifest line is indexed by — `kind`, and for the kinds indexed `path` and the ids —
/// as `JSON.parse(line)` then `json[name]?.stringValue` gives them; nil for a line that is not JSON. Every run that meets an item
/// loads its month's shard (a busy account's month is some 6,000 lines), and parsing each line whole
/// was most of a no-op run: a line as ringlog writes it (one flat object of printable ASCII, no
/// escapes) is checked and read here in one pass over its bytes, making Strings only of the members
/// indexed; any other line (escapes, other bytes, nesting, anything unexpected) is parsed by `JSON.parse`.
struct IndexedLine {
    var kind: String?
    var path: String?
    var callId: String?
    var messageId: String?
    var recordingId: String?

    init?(_ line: ArraySlice<UInt8>, scratch: inout [Range<Int>]) {
        if let scanned = line.withContiguousStorageIfAvailable({ Self.scan($0, scratch: &scratch) }), let scanned {
            self = scanned
            return
        }
        guard let json = try? JSON.parse(line) else { return nil }
        kind = json["kind"]?.stringValue
        guard indexesIds else { return }
        path = json["path"]?.stringValue
        callId = json["callId"]?.stringValue
        messageId = json["messageId"]?.stringValue
        recordingId = json["recordingId"]?.stringValue
    }

    private init() {}

    /// The kinds whose lines the index reads; the path and ids of any other line are left out (nil).
    var indexesIds: Bool { kind.map { ["call", "message", "recording", "messageLink"].contains($0) } ?? false }

    /// A flat JSON object of printable ASCII without backslashes, checked as strictly as `JSON.parse`
    /// checks it (grammar, numbers, literals, duplicate member names); nil for anything else, valid
    /// or not, which the caller leaves to `JSON.parse`.
    /// `scratch` holds the member names' ranges (kept by the caller across lines: no allocation per line).
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, scratch: inout [Range<Int>]) -> IndexedLine? {
        // Outside strings only the grammar's own bytes pass; inside, `string()` refuses any other byte.
        var scanner = FlatScanner(bytes: bytes)
        var keys = scratch
        keys.removeAll(keepingCapacity: true)
        defer { scratch = keys }
        var found: (Range<Int>?, Range<Int>?, Range<Int>?, Range<Int>?, Range<Int>?) = (nil, nil, nil, nil, nil)
        scanner.skipSpaces()
        guard scanner.next(UInt8(ascii: "{")) else { return nil }
        scanner.skipSpaces()
        if !scanner.next(UInt8(ascii: "}")) {
            while true {
                scanner.skipSpaces()
                guard let key = scanner.string() else { return nil }
                for earlier in keys where scanner.equal(earlier, key) { return nil }  // a duplicate: JSON.parse refuses the line
                keys.append(key)
                scanner.skipSpaces()
                guard scanner.next(UInt8(ascii: ":")) else { return nil }
                scanner.skipSpaces()
                guard let first = scanner.current else { return nil }
                switch first {
                case UInt8(ascii: "\""):
                    guard let value = scanner.string() else { return nil }
                    switch key.count {
                    case 4: if scanner.equal(key, "kind") { found.0 = value } else if scanner.equal(key, "path") { found.1 = value }
                    case 6: if scanner.equal(key, "callId") { found.2 = value }
                    case 9: if scanner.equal(key, "messageId") { found.3 = value }
                    case 11: if scanner.equal(key, "recordingId") { found.4 = value }
                    default: break
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): guard scanner.number() else { return nil }
                case UInt8(ascii: "t"): guard scanner.literal("true") else { return nil }
                case UInt8(ascii: "f"): guard scanner.literal("false") else { return nil }
                case UInt8(ascii: "n"): guard scanner.literal("null") else { return nil }
                default: return nil  // nested values, or not JSON
                }
                scanner.skipSpaces()
                if scanner.next(UInt8(ascii: ",")) { continue }
                guard scanner.next(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        scanner.skipSpaces()
        guard scanner.position == bytes.count else { return nil }
        func text(_ range: Range<Int>?) -> String? {
            range.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
        }
        var line = IndexedLine()
        line.kind = text(found.0)
        guard line.indexesIds else { return line }
        line.path = text(found.1)
        line.callId = text(found.2)
        line.messageId = text(found.3)
        line.recordingId = text(found.4)
        return line
    }
}

/// The pieces of `IndexedLine.scan`: a cursor over one line's bytes (printable ASCII, no backslash).
private struct FlatScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipSpaces() {
        while position < bytes.count, bytes[position] == UInt8(ascii: " ") { position += 1 }
    }

    mutating func next(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// A string's contents (the bytes between its quotes), or nil; nil too for a string holding a byte
    /// other than printable ASCII, or a backslash (left to `JSON.parse`).
    mutating func string() -> Range<Int>? {
        guard next(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            let byte = bytes[position]
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        position += 1
        return start..<(position - 1)
    }

    mutating func digits() -> Bool {
        let start = position
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") { position += 1 }
        return position > start
    }

    /// RFC 8259's number: `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?
    mutating func number() -> Bool {
        _ = next(UInt8(ascii: "-"))
        guard let first = current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return false }
        if first == UInt8(ascii: "0") { position += 1 } else { _ = digits() }
        if next(UInt8(ascii: ".")) { guard digits() else { return false } }
        if next(UInt8(ascii: "e")) || next(UInt8(ascii: "E")) {
            if !next(UInt8(ascii: "+")) { _ = next(UInt8(ascii: "-")) }
            guard digits() else { return false }
        }
        return true
    }

    mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[position + offset] != text.utf8Start[offset] { return false }
        position += count
        return true
    }

    func equal(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        for offset in 0..<a.count where bytes[a.lowerBound + offset] != bytes[b.lowerBound + offset] { return false }
        return true
    }

    func equal(_ a: Range<Int>, _ name: StaticString) -> Bool {
        guard a.count == name.utf8CodeUnitCount else { return false }
        for offset in 0..<a.count where bytes[a.lowerBound + offset] != name.utf8Start[offset] { return false }
        return true
    }
}
