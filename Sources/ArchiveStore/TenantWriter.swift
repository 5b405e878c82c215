import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// A media file being received: a temporary file in the item's folder, streamed into by the caller.
public struct MediaTemporary: Sendable {
    public let descriptor: Int32
    let path: String
    let directory: String
}

/// The one way to write to a tenant's tree, held by the lease holder only. It owns the order that
/// makes a crash at any instant harmless (layout-spec §9.2):
///
///   media file (temp → fsync → rename → fsync dir) → sidecar (same) → manifest lines (append, fsync)
///   → pending queue → state
///
/// (with `defersFolderAndManifestSync`, a sidecar's folder fsync and its manifest lines are made
/// durable by `flush()`, once per folder and shard for a page of items, before any checkpoint);
/// Media entries can only come from `commitMedia`/`adoptMedia`, after the file is durable, so a
/// sidecar never lists media that is not on disk; and `checkpoint` writes the state last. Every
/// write first checks the lease: once it is lost, nothing more reaches the tree (the run-log line
/// excepted) and every call throws `LeaseError.fenced`.
public final class TenantWriter {
    public let store: TenantStore
    public let lease: Lease
    public let manifest: Manifest
    private var sweptDirectories = Set<String>()
    private var savedState: SyncState?
    private var savedPending: PendingQueue?
    /// Called with each repair of an append-only file (a torn line removed), after it was recorded.
    public var onRepair: ((DurableFiles.TailRepair) -> Void)?
    /// The run id that error-log lines carry.
    public var runId = ""
    /// Test seam (crash injection): called before each durable step of a removal with the step's
    /// number (from 1) and what it is about to do. Throwing (or exiting) there is a crash at that step.
    public var beforeRemovalStep: ((Int, String) throws -> Void)?
    /// Test seam (crash injection): called in a batch commit before each media file is renamed ("rename
    /// media") and before each sidecar is ("rename sidecars"). Throwing there is a crash at that step.
    var beforeBatchStep: ((String) throws -> Void)?
    /// Durable removal steps taken by this writer so far.
    public internal(set) var removalSteps = 0
    /// The latest tombstone line per kind and path, per month loaded (removals consult it to stay idempotent).
    var tombstoneCache: [String: [String: Tombstone]] = [:]
    /// Set by the sync engine: a sidecar's folder fsync and its manifest lines wait for `flush()`, which
    /// every `checkpoint` runs first (layout-spec §9.2). One fsync per folder and per shard for a page of
    /// items instead of one per item; a crash before the flush loses only what the state does not cover yet.
    public var defersFolderAndManifestSync = false
    /// Folders holding a sidecar renamed into place since the last flush (absolute paths).
    var unsyncedFolders = Set<String>()
    /// With `defersFolderAndManifestSync`: the media files and sidecars waiting to be made durable
    /// together (TenantWriter+Batch.swift).
    var batch = WriteBatch()
    /// A batch that failed to commit: the run stops, every later write throws this.
    var batchFailure: (any Error)?

    init(store: TenantStore, lease: Lease) {
        self.store = store
        self.lease = lease
        self.manifest = Manifest(tenantDirectory: store.directory)
    }

    /// The token that names this writer's temporary files.
    public var owner: String { lease.token }

    public func check() throws(LeaseError) { try lease.check() }

    /// Stops renewing and frees the lease (unless it was lost). A batch still waiting (a run that
    /// failed before its flush) is discarded: nothing of it was named, the next run redoes it.
    public func close() {
        discardBatch()
        lease.release()
    }

    /// Removes crashed or fenced runs' temporary files in the tenant and control directories.
    public func sweepControlFiles() throws {
        try check()
        DurableFiles.sweepTemporaryFiles(in: store.controlDirectory, keeping: owner)
        DurableFiles.sweepTemporaryFiles(in: store.directory, keeping: owner)
        DurableFiles.sweepTemporaryFiles(in: store.logDirectory, keeping: owner)
        DurableFiles.sweepTemporaryFiles(in: DurableFiles.join(store.directory, Manifest.directoryName), keeping: owner)
    }

    /// `reindex`: sweeps every folder of the tree. Returns how many files were removed.
    public func sweepTree() throws -> Int {
        try check()
        var removed = 0
        for folder in store.reader.extensionFolders {
            let folderPath = store.path(folder)
            removed += DurableFiles.sweepTemporaryFiles(in: folderPath, keeping: owner)
            for day in DurableFiles.list(folderPath) where ArchiveReader.isDayFolder(day) {
                removed += DurableFiles.sweepTemporaryFiles(in: DurableFiles.join(folderPath, day), keeping: owner)
            }
        }
        return removed
    }

    /// Creates the item folder `relativeDirectory` (fsynced into its parent) and sweeps it once per run.
    func prepare(_ relativeDirectory: String) throws -> String {
        try check()
        let directory = store.path(relativeDirectory)
        try DurableFiles.createDirectories(directory)
        if sweptDirectories.insert(directory).inserted { DurableFiles.sweepTemporaryFiles(in: directory, keeping: owner) }
        return directory
    }

    // MARK: Media

    /// A new temporary file for media that will be named `<baseName>.<ext>` in `relativeDirectory`.
    public func beginMedia(in relativeDirectory: String, baseName: String) throws -> MediaTemporary {
        let directory = try prepare(relativeDirectory)
        let temporary = try DurableFiles.createTemporary(in: directory, for: baseName + ".part", owner: owner)
        return MediaTemporary(descriptor: temporary.descriptor, path: temporary.path, directory: directory)
    }

    public func discard(_ temporary: MediaTemporary) {
        DurableFiles.discard(temporaryPath: temporary.path, descriptor: temporary.descriptor)
    }

    /// The path of a temporary file, for an error message about writing into it.
    public func describe(_ temporary: MediaTemporary) -> String { temporary.path }

    /// fsync, rename to `fileName`, fsync the folder; returns the sidecar's entry for the file. With
    /// `defersFolderAndManifestSync` the three wait in the batch, done before any sidecar that lists
    /// the file is renamed into place (TenantWriter+Batch.swift).
    public func commitMedia(_ temporary: MediaTemporary, fileName: String, kind: MediaEntry.Kind, id: String, sha256: String,
                            size: Int64, contentType: String) throws -> MediaEntry {
        do {
            try check()
            if let failure = batchFailure { throw failure }
        } catch {
            discard(temporary)
            throw error
        }
        let finalPath = DurableFiles.join(temporary.directory, fileName)
        if defersFolderAndManifestSync {
            // Closed now (a batch holds no descriptor); on a share, close is where a failed write-back shows.
            if Glibc.close(temporary.descriptor) != 0 {
                let code = errno
                unlink(temporary.path)
                throw ArchiveIOError("close", temporary.path, code: code)
            }
            batch.add(WriteBatch.Media(temporaryPath: temporary.path, finalPath: finalPath))
            if batch.count >= Self.batchLimit { try commitBatch() }
        } else {
            try DurableFiles.commit(temporaryPath: temporary.path, descriptor: temporary.descriptor, to: finalPath)
        }
        return MediaEntry(kind: kind, id: id, file: fileName, sha256: sha256, size: size, contentType: contentType,
                          archivedAt: Timestamp.now())
    }

    /// A media file a crashed run renamed into place before writing its sidecar: it is complete (only
    /// fsynced files get final names), so it is adopted, hashed as a stream, instead of downloaded
    /// again. Nil when there is no such file.
    public func adoptMedia(at relativePath: String, kind: MediaEntry.Kind, id: String, contentType: String) throws -> MediaEntry? {
        try check()
        let path = store.path(relativePath)
        if batch.holds(path) { try commitBatch() }
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MediaFileError(relativePath) }
        let digest = try DurableFiles.hashFile(path)
        return MediaEntry(kind: kind, id: id, file: DurableFiles.fileName(of: relativePath), sha256: digest.sha256, size: digest.size,
                          contentType: contentType, archivedAt: Timestamp.now())
    }

    // MARK: Sidecars and manifest

    /// Writes the sidecar when `changed` (atomically; unchanged bytes leave the file alone), then
    /// appends the manifest lines it implies that its shard lacks (also repairing a crash between
    /// the two). Returns how many manifest lines were added. `durableNow`: folder fsync and lines at once
    /// even when `defersFolderAndManifestSync` is set (for a part that has no page to flush after).
    ///
    /// Deferred, a changed sidecar waits in the batch (written, fsynced and renamed with it); a sidecar
    /// saved now first drains the batch (media it lists may wait there) and fsyncs its folder if an
    /// earlier deferred save left that pending, so the manifest lines written now name a durable file.
    @discardableResult
    public func saveSidecar(_ sidecar: Sidecar, at relativePath: String, changed: Bool, durableNow: Bool = false) throws -> Int {
        let directory = try prepare(DurableFiles.parentDirectory(of: relativePath))
        let deferring = defersFolderAndManifestSync && !durableNow
        let path = DurableFiles.join(directory, DurableFiles.fileName(of: relativePath))
        if let failure = batchFailure { throw failure }
        if deferring {
            if changed {
                batch.add(sidecarAt: path, sidecar.bytes)
                if batch.count >= Self.batchLimit { try commitBatch() }
            }
        } else {
            try commitBatch()
            if changed {
                try check()
                try DurableFiles.writeAtomically(path, sidecar.bytes, owner: owner)
            }
            if unsyncedFolders.remove(directory) != nil { try DurableFiles.syncDirectory(directory) }
        }
        return try manifest.record(sidecar, at: relativePath, deferring: deferring) { path, line in try append(line, to: path) }
    }

    /// The sidecar at `relativePath` as the tree holds it (a save of it waiting in the batch is made
    /// durable first). Nil when there is none; `SidecarError` when it cannot be used.
    public func loadSidecar(_ relativePath: String) throws -> Sidecar? {
        let path = DurableFiles.join(store.path(DurableFiles.parentDirectory(of: relativePath)), DurableFiles.fileName(of: relativePath))
        if batch.holds(path) { try commitBatch() }
        return try store.loadSidecar(relativePath)
    }

    /// Makes what `defersFolderAndManifestSync` left waiting durable, in §9.2's order: the batch, the
    /// folders of the sidecars renamed since the last flush (fsync each once, concurrently), then the
    /// manifest lines they imply (one append and one fsync per shard). What fails stays waiting, and
    /// the error stops the run.
    public func flush() throws {
        try commitBatch()
        guard !unsyncedFolders.isEmpty || manifest.unwrittenLineCount > 0 else { return }
        try check()
        try DurableJobs.syncDirectories(unsyncedFolders.sorted())
        unsyncedFolders.removeAll()
        try manifest.writeUnwritten { path, lines in
            try check()
            if let repair = try DurableFiles.appendLines(path, lines) { record(repair) }
        }
    }

    /// Appends one line to an append-only file of the tenant (§9.4), after repairing a torn last line.
    func append(_ line: String, to path: String) throws {
        try check()
        if let repair = try DurableFiles.appendLine(path, line) { record(repair) }
    }

    private func record(_ repair: DurableFiles.TailRepair) {
        let relative = repair.path.hasPrefix(store.directory + "/") ? String(repair.path.dropFirst(store.directory.count + 1)) : repair.path
        let line = ErrorLogLine(runId: runId, item: ["file": .string(relative)],
                                error: "repaired an append-only file: removed an incomplete last line of \(repair.removedBytes) bytes "
                                    + "(a crash or a full disk cut it short): \(repair.fragment.debugDescription)")
        try? appendErrorLine(line.json)
        onRepair?(repair)
    }

    // MARK: Control files

    /// The pending queue, then the state, each replaced atomically and only when changed. Callers
    /// checkpoint only after the items the state covers are durable.
    public func checkpoint(state: SyncState, pending: PendingQueue) throws {
        try flush()  // the items the state and the queue cover are durable first, with their manifest lines
        if savedPending == nil { savedPending = try store.loadPending() }
        if savedState == nil { savedState = try store.loadState() }
        if pending != savedPending || state != savedState { try lease.checkNotSuperseded() }
        if pending != savedPending {
            try check()
            try DurableFiles.createDirectories(store.controlDirectory)
            try DurableFiles.writeAtomically(store.pendingPath, pending.bytes, owner: owner)
            savedPending = pending
        }
        if state != savedState {
            try check()
            try DurableFiles.createDirectories(store.controlDirectory)
            try DurableFiles.writeAtomically(store.statePath, state.bytes, owner: owner)
            savedState = state
        }
    }

    public func saveMarker(_ marker: TenantMarker) throws {
        try check()
        try DurableFiles.writeAtomically(store.path(TenantMarker.fileName), marker.bytes, owner: owner)
    }

    /// Replaces a manifest shard wholesale (`reindex`).
    public func replaceShard(at path: String, with bytes: [UInt8]) throws {
        try check()
        try DurableFiles.writeAtomically(path, bytes, owner: owner)
    }

    // MARK: Logs

    /// One line in `logs/errors.jsonl`.
    public func appendErrorLine(_ line: JSON) throws {
        try check()
        try DurableFiles.createDirectories(store.logDirectory)
        try append(line.serialized(), to: DurableFiles.join(store.logDirectory, TenantStore.errorLogName))
    }

    /// The run's line in `logs/runs.jsonl`. Written even by a fenced run (its only write then), and
    /// then without repair, so it can never cut a line the new holder is appending.
    public func appendRunLine(_ line: JSON) throws {
        try DurableFiles.createDirectories(store.logDirectory)
        let path = DurableFiles.join(store.logDirectory, TenantStore.runLogName)
        if lease.isFenced {
            try DurableFiles.appendLineUnguarded(path, line.serialized())
        } else if let repair = try DurableFiles.appendLine(path, line.serialized()) {
            record(repair)
        }
    }
}

extension TenantWriter {
    public static let unfiledDirectoryName = "_unfiled"

    /// Keeps a record RingCentral sent that could not be archived as an item (a field missing or
    /// malformed), verbatim but token-free, in `_unfiled/<YYYY-MM-DD>/<sha256>.json` (the UTC day it
    /// was received; the name is the hash of the record, so the same record is kept once a day).
    /// Returns the file's path relative to the tenant directory.
    @discardableResult
    public func saveUnfiled(kind: String, record: JSON, reason: String, at time: Timestamp = Timestamp.now()) throws -> String {
        let verbatim = strippingAccessTokens(record)
        let name = SHA256Hasher.hex(of: verbatim.serializedBytes()) + ".json"
        let relative = DurableFiles.join(Self.unfiledDirectoryName, ArchiveNames.dayFolder(time), name)
        if DurableFiles.exists(store.path(relative)) { return relative }
        let directory = try prepare(DurableFiles.parentDirectory(of: relative))
        var object = JSONObject()
        object["format"] = "ringlog-unfiled"
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["kind"] = .string(kind)
        object["receivedAt"] = .string(time.iso8601)
        object["reason"] = .string(reason)
        object["record"] = verbatim
        try check()
        try DurableFiles.writeAtomically(DurableFiles.join(directory, name), JSON.object(object).serializedBytes(.pretty) + [0x0A], owner: owner)
        return relative
    }
}
