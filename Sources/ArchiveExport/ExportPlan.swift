import ArchiveStore
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// Pass 1 of an export: walks the selected extension folders in byte order, day folder by day
/// folder, and decides every entry of the tarball before a byte of it is written, because
/// SHA256SUMS, MANIFEST.jsonl and EXPORT.json sort between the numeric extension folders and the
/// others (`101/` < `EXPORT.json` < `SHA256SUMS` < `_account/` < `id-…/`) yet describe all of them.
///
/// Memory stays constant: entries, checksum lines, manifest lines and the sidecars' bytes go to
/// anonymous scratch files (`Spool`); only one day folder's names are held. Sidecars are copied
/// into the spool as read, so the tarball holds exactly the sidecar that was planned from even if
/// a concurrent sync rewrites it meanwhile (media files are never rewritten: §9.3). Media hashes
/// come from the sidecars here and are checked against the bytes in pass 2, as they are streamed.
struct ExportPlan {
    /// One tarball entry, in tarball order.
    struct Entry {
        enum Source { case directory, sidecar(spoolOffset: Int64), media(relativePath: String) }
        /// Relative to the top directory; directories end with `/`.
        let path: String
        let size: Int64
        let mtime: Int64
        let sha256: String
        let source: Source

        var line: String {
            switch source {
            case .directory: "d\t\(path)\t\(mtime)"
            case .sidecar(let offset): "s\t\(path)\t\(size)\t\(mtime)\t\(sha256)\t\(offset)"
            case .media(let relative): "m\t\(path)\t\(size)\t\(mtime)\t\(sha256)\t\(relative)"
            }
        }

        init(path: String, size: Int64, mtime: Int64, sha256: String, source: Source) {
            self.path = path
            self.size = size
            self.mtime = mtime
            self.sha256 = sha256
            self.source = source
        }

        init?(line: String) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "d" where fields.count == 3:
                self.init(path: fields[1], size: 0, mtime: Int64(fields[2]) ?? 0, sha256: "", source: .directory)
            case "s" where fields.count == 6:
                self.init(path: fields[1], size: Int64(fields[2]) ?? 0, mtime: Int64(fields[3]) ?? 0, sha256: fields[4],
                          source: .sidecar(spoolOffset: Int64(fields[5]) ?? 0))
            case "m" where fields.count == 6:
                self.init(path: fields[1], size: Int64(fields[2]) ?? 0, mtime: Int64(fields[3]) ?? 0, sha256: fields[4],
                          source: .media(relativePath: fields[5]))
            default: return nil
            }
        }
    }

    static let exportJSONName = "EXPORT.json"
    static let manifestName = "MANIFEST.jsonl"
    static let checksumsName = "SHA256SUMS"

    let entries: Spool
    let sidecars: Spool
    let checksums: Spool
    let manifest: Spool
    /// Offset in `checksums` where the lines of folders that sort after the metadata files begin
    /// (EXPORT.json's and MANIFEST.jsonl's own lines go there).
    var checksumSplit: Int64 = 0
    /// Top-level extension folders with at least one entry, in byte order.
    var folders: [String] = []
    var files = 0
    var bytes: Int64 = 0
    var counts: [String: Int] = ["calls": 0, "recordings": 0, "voicemails": 0, "voicemailAudio": 0, "transcriptions": 0]
    var manifestLines = 0
    var omittedTombstoned = 0
    var omittedExcluded = 0
    var unfiled = 0

    init(scratchDirectory: String) throws {
        entries = try Spool(in: scratchDirectory)
        sidecars = try Spool(in: scratchDirectory)
        checksums = try Spool(in: scratchDirectory)
        manifest = try Spool(in: scratchDirectory)
    }

    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}

/// Builds the plan (pass 1).
struct ExportPlanner {
    let store: TenantStore
    let request: ExportRequest
    let isExcluded: (Sidecar) -> Bool
    let cancellation: CancellationFlag?
    /// Tombstoned paths per month, read once per month.
    private var tombstones: [String: Set<String>] = [:]

    init(store: TenantStore, request: ExportRequest, isExcluded: @escaping (Sidecar) -> Bool, cancellation: CancellationFlag?) {
        self.store = store
        self.request = request
        self.isExcluded = isExcluded
        self.cancellation = cancellation
    }

    private func checkCancelled() throws {
        if let reason = cancellation?.reason { throw ExportError.interrupted(reason) }
    }

    private mutating func tombstoned(_ relativePath: String, month: String, reload: Bool = false) throws -> Bool {
        if reload || tombstones[month] == nil {
            var paths = Set<String>()
            try store.forEachTombstone(month: month) { paths.insert($0.path) }
            tombstones[month] = paths
        }
        return tombstones[month]!.contains(relativePath)
    }

    /// Is a manifest line of this kind part of the selection?
    private func selects(_ kind: ManifestLine.Kind) -> Bool {
        switch kind {
        case .call: request.kinds.contains(.calls)
        // A recording's insights go with it until export has a kind of their own (issue 14 point 7).
        case .recording, .insights: request.kinds.contains(.recordings)
        case .message, .voicemail, .transcription: request.kinds.contains(.voicemails)
        }
    }

    mutating func plan(into plan: inout ExportPlan) throws {
        try checkManifest()
        let reader = store.reader
        var afterMetadata = false
        for folder in reader.extensionFolders where request.extensionFolders?.contains(folder) ?? true {
            if !afterMetadata && ExportPlan.precedes(ExportPlan.exportJSONName, folder) {
                try plan.checksums.flush()
                plan.checksumSplit = plan.checksums.size
                afterMetadata = true
            }
            var folderStarted = false
            // Never follow a symlink out of the tree (layout §9.5: ringlog creates only files and directories).
            guard Self.isRealDirectory(store.path(folder)) else { throw ExportError.damaged(path: folder, reason: "is a symlink, not a directory") }
            try reader.forEachDayFolder(inExtension: folder, from: request.period.firstDay, through: request.period.lastDay) { day in
                try checkCancelled()
                guard Self.isRealDirectory(store.path(day.relativePath)) else {
                    throw ExportError.damaged(path: day.relativePath, reason: "is a symlink, not a directory")
                }
                let files = try planDay(day, plan: &plan)
                guard !files.isEmpty else { return }
                if !folderStarted {
                    try plan.entries.append(line: ExportPlan.Entry(path: folder + "/", size: 0, mtime: fixedMTime, sha256: "", source: .directory).line)
                    plan.folders.append(folder)
                    folderStarted = true
                }
                try plan.entries.append(line: ExportPlan.Entry(path: day.relativePath + "/", size: 0, mtime: fixedMTime, sha256: "", source: .directory).line)
                for file in files { try plan.entries.append(line: file.line) }
            }
        }
        if !afterMetadata {
            try plan.checksums.flush()
            plan.checksumSplit = plan.checksums.size
        }
        plan.unfiled = try countUnfiled()
    }

    static func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Directories and the metadata files carry the period's start as their mtime: fixed, and meaningful.
    var fixedMTime: Int64 { request.period.from.millisecondsSinceEpoch / 1000 }

    /// Every manifest line of the selection must point at a file that is there (or tombstoned): an
    /// export never silently lacks an item the archive says it holds (a deleted voicemail, a lost sidecar).
    private mutating func checkManifest() throws {
        for month in request.period.months {
            try checkCancelled()
            try store.forEachManifestLine(month: month) { line in
                let parts = line.path.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 3, request.period.contains(line.startTime), selects(line.kind) else { return }
                if let folders = request.extensionFolders, !folders.contains(String(parts[0])) { return }
                guard !DurableFiles.exists(store.path(line.path)) else { return }
                // A purge writes the tombstone before it removes the file: read them again before judging.
                guard try !tombstoned(line.path, month: month), try !tombstoned(line.path, month: month, reload: true) else { return }
                throw ExportError.damaged(path: line.path, reason: "is listed in manifest/\(month).jsonl but missing from the tree")
            }
        }
    }

    /// The entries of one day folder, sorted by name; sidecars are copied to the spool.
    private mutating func planDay(_ day: ArchiveReader.DayFolder, plan: inout ExportPlan) throws -> [ExportPlan.Entry] {
        var entries: [ExportPlan.Entry] = []
        let month = String(day.day.prefix(7))
        for name in day.names {
            guard let kind = ItemFileName(name), kind.isSidecar else { continue }  // media are reached from their sidecar
            let relative = DurableFiles.join(day.relativePath, name)
            if try tombstoned(relative, month: month) {
                plan.omittedTombstoned += 1
                continue
            }
            let read: [UInt8]?
            do { read = try DurableFiles.readIfPresent(store.path(relative)) } catch {
                throw ExportError.damaged(path: relative, reason: "cannot be read (\(ArchiveIOError.plainReason(error.code)))")
            }
            guard let bytes = read else {
                if try tombstoned(relative, month: month, reload: true) { plan.omittedTombstoned += 1; continue }
                throw ExportError.damaged(path: relative, reason: "disappeared while the export read its folder")
            }
            let sidecar: Sidecar
            do { sidecar = try Sidecar.parse(bytes, path: relative) } catch {
                throw ExportError.damaged(path: relative, reason: "is not a usable sidecar: \(error.reason)")
            }
            if let problem = SidecarPlacement.problem(sidecar, fileName: name, in: day, tenantId: store.tenantId) {
                throw ExportError.damaged(path: relative, reason: problem)
            }
            if isExcluded(sidecar) {
                plan.omittedExcluded += 1
                continue
            }
            let mtime = sidecar.startTime.millisecondsSinceEpoch / 1000
            let isCall = sidecar.kind == .call
            var exported = Set<String>()
            if isCall ? request.kinds.contains(.calls) : request.kinds.contains(.voicemails) {
                let offset = try plan.sidecars.append(bytes)
                entries.append(ExportPlan.Entry(path: relative, size: Int64(bytes.count), mtime: mtime, sha256: SHA256Hasher.hex(of: bytes),
                                                source: .sidecar(spoolOffset: offset)))
                exported.insert(relative)
                plan.counts[isCall ? "calls" : "voicemails", default: 0] += 1
            }
            if isCall ? request.kinds.contains(.recordings) : request.kinds.contains(.voicemails) {
                for media in sidecar.media {
                    let mediaPath = DurableFiles.join(day.relativePath, media.file)
                    guard ItemFileName(media.file) != nil, !media.file.contains("/") else {
                        throw ExportError.damaged(path: relative, reason: "lists a media file \(media.file.debugDescription) that is not a layout name")
                    }
                    if try tombstoned(mediaPath, month: month) {
                        plan.omittedTombstoned += 1
                        continue
                    }
                    var info = stat()
                    guard lstat(store.path(mediaPath), &info) == 0 else {
                        if errno == ENOENT, try tombstoned(mediaPath, month: month, reload: true) { plan.omittedTombstoned += 1; continue }
                        throw ExportError.damaged(path: mediaPath, reason: "is listed by its sidecar but missing")
                    }
                    guard (info.st_mode & S_IFMT) == S_IFREG else { throw ExportError.damaged(path: mediaPath, reason: "is not a regular file") }
                    guard Int64(info.st_size) == media.size else {
                        throw ExportError.damaged(path: mediaPath, reason: "has \(info.st_size) bytes; its sidecar records \(media.size)")
                    }
                    entries.append(ExportPlan.Entry(path: mediaPath, size: media.size, mtime: mtime, sha256: media.sha256,
                                                    source: .media(relativePath: mediaPath)))
                    exported.insert(mediaPath)
                    switch media.kind {
                    case .recording: plan.counts["recordings", default: 0] += 1
                    case .voicemail: plan.counts["voicemailAudio", default: 0] += 1
                    case .transcription: plan.counts["transcriptions", default: 0] += 1
                    case .insights: plan.counts["insights", default: 0] += 1
                    }
                }
            }
            for line in Manifest.lines(for: sidecar, at: relative) {
                guard let path = line["path"]?.stringValue, exported.contains(path) else { continue }
                pendingManifest.append((path, pendingManifest.count, line.serialized()))
            }
        }
        entries.sort { ExportPlan.precedes($0.path, $1.path) }
        // Checksums and manifest lines in the same (path) order as the entries.
        // By path, and a sidecar's revision lines in their order (the sequence number keeps it: no reliance on a stable sort).
        pendingManifest.sort { $0.path == $1.path ? $0.sequence < $1.sequence : ExportPlan.precedes($0.path, $1.path) }
        for entry in entries {
            try plan.checksums.append(line: "\(entry.sha256)  \(entry.path)")
            plan.files += 1
            plan.bytes += entry.size
        }
        for (_, _, line) in pendingManifest {
            try plan.manifest.appendHashed(Array((line + "\n").utf8))
            plan.manifestLines += 1
        }
        pendingManifest.removeAll()
        return entries
    }

    private var pendingManifest: [(path: String, sequence: Int, line: String)] = []

    /// `_unfiled` records received in the period: not items (they could not be placed), so not
    /// exported, but counted in EXPORT.json so that a reader knows they exist.
    private func countUnfiled() throws -> Int {
        let directory = store.path(TenantWriter.unfiledDirectoryName)
        var count = 0
        for day in try DurableFiles.listing(directory) ?? [] where ArchiveReader.isDayFolder(day) && day >= request.period.firstDay && day <= request.period.lastDay {
            count += (try DurableFiles.listing(DurableFiles.join(directory, day)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.count
        }
        return count
    }
}

/// Checks that a sidecar is where its content says it belongs (layout §4): its name is the one its
/// ids and start give, its day folder is its start's UTC day, its extension folder is the one it
/// recorded, and it belongs to this tenant. A sidecar copied or renamed into the wrong place is damage.
public enum SidecarPlacement {
    public static func problem(_ sidecar: Sidecar, fileName: String, in day: ArchiveReader.DayFolder, tenantId: String) -> String? {
        if ArchiveNames.dayFolder(sidecar.startTime) != day.day {
            return "has archive.item.startTime \(sidecar.startTime.iso8601), which is not in its day folder \(day.day)"
        }
        if let folder = sidecar.item["extensionFolder"]?.stringValue, folder != day.extensionFolder {
            return "records extension folder \(folder.debugDescription) but is in \(day.extensionFolder)"
        }
        if let tenant = sidecar.item["tenantId"]?.stringValue, tenant != tenantId {
            return "belongs to tenant \(tenant.debugDescription), not \(tenantId)"
        }
        let expected: String?
        switch sidecar.kind {
        case .call: expected = sidecar.item["callId"]?.stringValue.flatMap { try? ArchiveNames.callSidecarFile(start: sidecar.startTime, callId: $0) }
        case .voicemail:
            expected = sidecar.item["messageId"]?.stringValue.flatMap { try? ArchiveNames.voicemailSidecarFile(created: sidecar.startTime, messageId: $0) }
        }
        guard let expected else { return "has no usable \(sidecar.kind == .call ? "callId" : "messageId") in archive.item" }
        if expected != fileName { return "is named \(fileName) but its ids and start give \(expected)" }
        // The record is RingCentral's own: its id is the item's, always (an edited record that still
        // parses would otherwise pass; a revision replaces the record but never its id).
        let itemId = sidecar.item[sidecar.kind == .call ? "callId" : "messageId"]?.stringValue
        if let recordId = idText(sidecar.record["id"]), let itemId, recordId != itemId {
            return "has record.id \(recordId.debugDescription) but archive.item says \(itemId.debugDescription)"
        }
        var seen = Set<String>()
        for media in sidecar.media {
            guard ItemFileName(media.file) != nil else { return "lists a media file \(media.file.debugDescription) that is not a layout name" }
            let fitsKind: Bool
            switch (sidecar.kind, ItemFileName(media.file)!) {
            case (.call, .recording): fitsKind = media.kind == .recording
            case (.call, .insights): fitsKind = media.kind == .insights
            case (.voicemail, .voicemailAudio): fitsKind = media.kind == .voicemail
            case (.voicemail, .transcription): fitsKind = media.kind == .transcription
            default: fitsKind = false
            }
            if !fitsKind { return "lists \(media.file) as \(media.kind.rawValue), which its name does not fit" }
            if !seen.insert(media.file).inserted { return "lists \(media.file) twice" }
            if !media.file.hasPrefix(ArchiveNames.compactTimestamp(sidecar.startTime) + "_") {
                return "lists \(media.file), whose name does not start with the item's start"
            }
            if media.sha256.utf8.count != 64 || !media.sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
                return "records a malformed sha256 for \(media.file)"
            }
        }
        return nil
    }

    /// An id as its text: a string, or a number's literal (message ids are JSON numbers).
    private static func idText(_ value: JSON?) -> String? {
        switch value {
        case .string(let text): return text
        case .number(let literal): return literal
        default: return nil
        }
    }
}
