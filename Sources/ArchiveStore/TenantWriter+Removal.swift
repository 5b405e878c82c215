import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// Where removed files go: `.trash/<runId>/` with the same relative path (a rename on the same file
/// system, so a file is never copied or half-moved), or nowhere (unlinked at once).
public enum Disposal: Sendable, Equatable {
    case trash(runId: String)
    case delete
}

/// One file a removal takes out of the tree, with what its tombstone records.
public struct RemovalFile: Sendable, Equatable {
    public let relativePath: String
    public let kind: ManifestLine.Kind
    /// `callId`, `messageId`, `extensionId`, `recordingId`, `attachmentId` as they apply.
    public let ids: JSONObject
    public let sha256: String?
    public let size: Int64?

    public init(relativePath: String, kind: ManifestLine.Kind, ids: JSONObject, sha256: String?, size: Int64?) {
        self.relativePath = relativePath
        self.kind = kind
        self.ids = ids
        self.sha256 = sha256
        self.size = size
    }

    public var isSidecar: Bool { kind == .call || kind == .message }
}

/// One item's removal: some or all of its files, and the kept sidecar to update when only media go.
public struct ItemRemoval: Sendable {
    public var files: [RemovalFile]
    /// The item's sidecars that stay (only media are removed): the entries of those media move to
    /// `archive.removedMedia`. Usually one; two calls that started in the same second share a name prefix.
    public var keptSidecars: [String]
    public let reason: Tombstone.Reason
    public let rule: String

    public init(files: [RemovalFile], keptSidecars: [String], reason: Tombstone.Reason, rule: String) {
        self.files = files
        self.keptSidecars = keptSidecars
        self.reason = reason
        self.rule = rule
    }
}

/// A file at an item path that ringlog will not move (a symlink, a directory): the item stops there.
public struct RemovalRefused: Error, Sendable, CustomStringConvertible {
    public let path: String
    public var description: String { "\(path) is not a regular file (a symlink or a directory in the tree?); left as it is" }
}

/// The removal protocol (layout-spec §14.4). Per item:
///
///   1. every file's tombstone line, durable (appended only if the latest line for that path is not
///      already a removal), the sidecar's first when the sidecar goes too;
///   2. the media files, moved to `.trash/<runId>/…` (rename) or unlinked; folders fsynced;
///   3. the kept sidecar rewritten with those media under `archive.removedMedia`, or the sidecar
///      itself moved or unlinked; folders fsynced;
///   4. the day folder removed if that left it empty.
///
/// Every step is idempotent (a tombstone already there, a file already gone or already in the trash,
/// a sidecar already updated), so a run killed at any step and run again ends in the same tree and
/// tombstones as a run never interrupted. `beforeRemovalStep` is called before each step.
extension TenantWriter {
    func step(_ label: String) throws {
        try check()
        try commitBatch()  // a removal works on the tree as it is on disk
        removalSteps += 1
        try beforeRemovalStep?(removalSteps, label)
    }

    /// The latest tombstone line for `kind` and `path`, if any.
    public func tombstone(kind: ManifestLine.Kind, path: String) throws -> Tombstone? {
        guard let month = monthOf(path) else { return nil }
        if tombstoneCache[month] == nil {
            tombstoneCache[month] = try store.tombstoneState(month: month)
            if tombstoneCache.count > 6, let oldest = tombstoneCache.keys.sorted().first, oldest != month { tombstoneCache[oldest] = nil }
        }
        return tombstoneCache[month]?[Tombstone.key(kind: kind, path: path)]
    }

    private func monthOf(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, ArchiveReader.isDayFolder(String(parts[1])) else { return nil }
        return String(parts[1].prefix(7))
    }

    /// `.ringlog/removal.json`: written before a removal run's first tombstone.
    public func beginRemovalRun(_ journal: RemovalJournal) throws {
        try step("write \(RemovalJournal.fileName)")
        try DurableFiles.createDirectories(store.controlDirectory)
        try DurableFiles.writeAtomically(store.removalJournalPath, journal.bytes, owner: owner)
    }

    /// Removes the journal once everything the run did is durable.
    public func endRemovalRun() throws {
        guard DurableFiles.exists(store.removalJournalPath) else { return }
        try step("remove \(RemovalJournal.fileName)")
        if unlink(store.removalJournalPath) != 0 && errno != ENOENT { throw ArchiveIOError("unlink", store.removalJournalPath) }
        try DurableFiles.syncDirectory(store.controlDirectory)
    }

    /// `.trash/<runId>/trash.json`, written once, before the run's first file goes into the trash.
    /// A run killed while writing it left its temporary file in the run folder, which this rerun of
    /// the same run (same run id, §14.6) sweeps first: nothing else ever writes or sweeps there.
    public func prepareTrash(_ run: TrashRun) throws {
        let directory = DurableFiles.join(store.trashDirectory, run.runId)
        let path = DurableFiles.join(directory, TrashRun.fileName)
        try check()
        DurableFiles.sweepTemporaryFiles(in: directory, keeping: owner)
        if DurableFiles.exists(path) { return }
        try step("write .trash/\(run.runId)/\(TrashRun.fileName)")
        try DurableFiles.createDirectories(directory)
        try DurableFiles.writeAtomically(path, run.bytes, owner: owner)
    }

    /// Removes one item in the protocol's order. Returns how many files left the tree now (files
    /// already gone, from an interrupted run, are not counted again).
    @discardableResult
    public func remove(_ item: ItemRemoval, runId: String, disposal: Disposal, at time: Timestamp) throws -> Int {
        // 1. Tombstones first: whatever happens next, the archive says what is going and why. A
        // sidecar's own tombstone comes first of all: it is what tells a rerun that the whole item
        // goes (and not only its media), so an interrupted item is finished the same way.
        let sidecarsFirst = item.files.filter(\.isSidecar) + item.files.filter { !$0.isSidecar }
        for file in sidecarsFirst where try tombstone(kind: file.kind, path: file.relativePath)?.isRemoval != true {
            try step("tombstone \(file.relativePath)")
            try appendTombstone(Tombstone(path: file.relativePath, kind: file.kind, ids: file.ids, sha256: file.sha256, size: file.size,
                                          reason: item.reason, rule: item.rule, removedAt: time, runId: runId))
        }
        var moved = 0
        // 2. Media before the sidecar: a sidecar never goes while a file it lists is still in the tree.
        for file in item.files where !file.isSidecar { moved += try dispose(file.relativePath, disposal) }
        // 3. The kept sidecar records what went; or the sidecar goes too.
        for kept in item.keptSidecars {
            if var sidecar = try loadSidecar(kept) {
                var changed = false
                for file in item.files where !file.isSidecar && DurableFiles.parentDirectory(of: file.relativePath) == DurableFiles.parentDirectory(of: kept) {
                    changed = sidecar.recordRemoval(ofFile: DurableFiles.fileName(of: file.relativePath), at: time, reason: item.reason.rawValue,
                                                    rule: item.rule, runId: runId) || changed
                }
                if changed {
                    try step("update \(kept)")
                    // The item folder is swept once per run (§9.1): a run killed inside this very write left its temporary file.
                    _ = try prepare(DurableFiles.parentDirectory(of: kept))
                    try DurableFiles.writeAtomically(store.path(kept), sidecar.bytes, owner: owner)
                }
            }
        }
        for file in item.files where file.isSidecar { moved += try dispose(file.relativePath, disposal) }
        // 4. An emptied day folder goes too (sync creates it again if it ever needs it).
        if let first = item.files.first { try removeIfEmpty(DurableFiles.parentDirectory(of: first.relativePath)) }
        return moved
    }

    /// Moves a file to the trash or unlinks it; a file already gone is fine. Returns 1 if it moved now.
    func dispose(_ relative: String, _ disposal: Disposal) throws -> Int {
        let source = store.path(relative)
        var info = stat()
        guard lstat(source, &info) == 0 else {
            if errno == ENOENT { return 0 }
            throw ArchiveIOError("stat", source)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw RemovalRefused(path: relative) }
        let folder = DurableFiles.parentDirectory(of: source)
        switch disposal {
        case .trash(let runId):
            let destination = DurableFiles.join(store.trashDirectory, runId, relative)
            let destinationFolder = DurableFiles.parentDirectory(of: destination)
            if !DurableFiles.isDirectory(destinationFolder) {
                try step("create .trash/\(runId)/\(DurableFiles.parentDirectory(of: relative))")
                try DurableFiles.createDirectories(destinationFolder)
            }
            try step("move \(relative) to .trash/\(runId)")
            guard rename(source, destination) == 0 else { throw ArchiveIOError("rename to", destination) }
            try DurableFiles.syncDirectory(destinationFolder)
        case .delete:
            try step("unlink \(relative)")
            guard unlink(source) == 0 || errno == ENOENT else { throw ArchiveIOError("unlink", source) }
        }
        try DurableFiles.syncDirectory(folder)
        return 1
    }

    /// Removes an empty day folder (rmdir fails on anything else, which is left alone).
    public func removeIfEmpty(_ relativeFolder: String) throws {
        let path = store.path(relativeFolder)
        guard DurableFiles.isDirectory(path), DurableFiles.list(path).isEmpty else { return }
        try step("remove empty folder \(relativeFolder)")
        if rmdir(path) == 0 { try DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: path)) }
    }

    /// Unlinks a file of the trash (`trash empty`, an expired trash run); a file already gone is fine.
    public func deleteFromTrash(_ relativeToTrash: String) throws {
        let path = DurableFiles.join(store.trashDirectory, relativeToTrash)
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        try step("unlink .trash/\(relativeToTrash)")
        guard unlink(path) == 0 || errno == ENOENT else { throw ArchiveIOError("unlink", path) }
        try DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: path))
    }

    /// Removes empty folders of a trash run, deepest first, and the run's folder once only its
    /// `trash.json` is left (that goes last, so an interrupted emptying is still recognised).
    public func pruneTrashRun(_ runId: String) throws {
        let base = DurableFiles.join(store.trashDirectory, runId)
        for folder in DurableFiles.list(base) where DurableFiles.isDirectory(DurableFiles.join(base, folder)) {
            let folderPath = DurableFiles.join(base, folder)
            for day in DurableFiles.list(folderPath) where DurableFiles.list(DurableFiles.join(folderPath, day)).isEmpty {
                try step("remove empty folder .trash/\(runId)/\(folder)/\(day)")
                _ = rmdir(DurableFiles.join(folderPath, day))
            }
            if DurableFiles.list(folderPath).isEmpty {
                try step("remove empty folder .trash/\(runId)/\(folder)")
                _ = rmdir(folderPath)
            }
        }
        try DurableFiles.syncDirectory(base)
        if DurableFiles.list(base) == [TrashRun.fileName] {
            try step("remove .trash/\(runId)")
            _ = unlink(DurableFiles.join(base, TrashRun.fileName))
            _ = rmdir(base)
            try DurableFiles.syncDirectory(store.trashDirectory)
        }
    }

    /// `trash restore`: moves a file back from `.trash/<runId>/` to its place (never over a file
    /// that is there), then appends the restoration line. Returns false when it could not go back.
    public func restoreFromTrash(_ tombstone: Tombstone, runId: String, at time: Timestamp, restoreRunId: String) throws -> Bool {
        let source = DurableFiles.join(store.trashDirectory, runId, tombstone.path)
        let destination = store.path(tombstone.path)
        if DurableFiles.exists(source) {
            guard !DurableFiles.exists(destination) else { return false }
            let folder = DurableFiles.parentDirectory(of: destination)
            try check()
            try DurableFiles.createDirectories(folder)
            guard rename(source, destination) == 0 else { throw ArchiveIOError("rename to", destination) }
            try DurableFiles.syncDirectory(folder)
            try DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: source))
        } else if !DurableFiles.exists(destination) {
            return false  // neither in the trash nor in the tree: emptied already
        }
        // The file is back: only now may the tombstone stop saying it is gone (sync would fetch it again).
        if try self.tombstone(kind: tombstone.kind, path: tombstone.path)?.isRemoval == true {
            try appendTombstone(tombstone.restored(at: time, runId: restoreRunId))
        }
        return true
    }

    /// Moves a restored media file's entry back from `archive.removedMedia` to `archive.media`.
    public func recordRestoredMedia(sidecar relative: String, files: [String]) throws {
        guard var sidecar = try loadSidecar(relative) else { return }
        var changed = false
        for file in files { changed = sidecar.recordRestoration(ofFile: file) || changed }
        if changed {
            try check()
            try DurableFiles.writeAtomically(store.path(relative), sidecar.bytes, owner: owner)
        }
    }

    /// A tombstone that must no longer hold (an interrupted run's item that a hold now keeps):
    /// the latest line becomes a restoration, so sync and readers see the item as present.
    public func withdrawTombstone(_ tombstone: Tombstone, at time: Timestamp, runId: String) throws {
        guard try self.tombstone(kind: tombstone.kind, path: tombstone.path)?.isRemoval == true else { return }
        try step("withdraw tombstone \(tombstone.path)")
        try appendTombstone(tombstone.restored(at: time, runId: runId))
    }
}

extension TenantWriter {
    /// Deletes a record kept under `_unfiled/` (an exclusion rule matches it).
    public func deleteUnfiled(day: String, name: String) throws {
        let path = store.path(DurableFiles.join(Self.unfiledDirectoryName, day, name))
        try step("unlink \(Self.unfiledDirectoryName)/\(day)/\(name)")
        guard unlink(path) == 0 || errno == ENOENT else { throw ArchiveIOError("unlink", path) }
        try DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: path))
    }
}
