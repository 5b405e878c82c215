import RinglogSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Media files and sidecars the sync engine wrote but that are not durable yet (layout-spec §9.2):
/// a media file complete under its temporary name (closed: a batch holds no descriptor, however many
/// tenants run at once), a sidecar's new bytes in memory. `commitBatch()`
/// makes them durable together, their fsyncs issued concurrently — a disk (or a share) serves many
/// at once in about the time of one, where one after another a first sync spent most of its time
/// waiting on them — in the order that keeps a crash at any instant harmless:
///
///   1. every file's bytes fsynced under its temporary name (concurrently);
///   2. the media renamed into place, then their folders fsynced (concurrently);
///   3. the sidecars renamed into place; their folders are fsynced by `flush()`, before the manifest
///      lines that name them, as for any deferred sidecar.
///
/// So a final name still only ever shows durable bytes, and no sidecar names a media file whose
/// name is not durable. The batch is memory only: nothing reads it but the writer, and any read of
/// a path it holds (`loadSidecar`, `adoptMedia`), any write that is not deferred, and every flush
/// and checkpoint drain it first, so the tree seen by the writer's callers is the tree on disk.
struct WriteBatch {
    struct Media {
        let temporaryPath: String
        let finalPath: String
    }

    struct SidecarBytes {
        let finalPath: String
        var bytes: [UInt8]
    }

    private(set) var media: [Media] = []
    private(set) var sidecars: [SidecarBytes] = []
    private var sidecarIndex: [String: Int] = [:]
    private var mediaPaths = Set<String>()

    var isEmpty: Bool { media.isEmpty && sidecars.isEmpty }
    var count: Int { media.count + sidecars.count }

    /// True when `path` (absolute) waits in the batch.
    func holds(_ path: String) -> Bool { sidecarIndex[path] != nil || mediaPaths.contains(path) }

    mutating func add(_ item: Media) {
        media.append(item)
        mediaPaths.insert(item.finalPath)
    }

    /// A sidecar saved twice before a commit is written once, with its latest bytes.
    mutating func add(sidecarAt path: String, _ bytes: [UInt8]) {
        if let index = sidecarIndex[path] {
            sidecars[index].bytes = bytes
        } else {
            sidecarIndex[path] = sidecars.count
            sidecars.append(SidecarBytes(finalPath: path, bytes: bytes))
        }
    }
}

/// One durability step run on a worker thread of `DurableJobs.run`.
enum DurableJob: Sendable {
    /// fsync a complete, closed temporary file, opened again (as coreutils' `sync FILE` does: an fsync
    /// covers the file's data whichever descriptor wrote it).
    case syncFile(path: String)
    /// Write `bytes` into a new temporary file beside `path` and fsync it (nothing when `path`
    /// already holds exactly these bytes). Its result is the temporary file's path.
    case writeTemporary(path: String, bytes: [UInt8], owner: String)
    case syncDirectory(String)
}

enum DurableJobs {
    /// Concurrent fsyncs at most: enough to keep a disk's or a share's queue full; the threads only wait.
    static let width = 16

    /// Runs every job, `width` at a time, and returns each one's outcome in the jobs' order (a
    /// temporary file's path for `writeTemporary`, nil when it wrote nothing).
    static func run(_ jobs: [DurableJob]) -> [Result<String?, ArchiveIOError>] {
        let outcomes = Outcomes(count: jobs.count)
        runConcurrently(jobs.count, width: width) { index in outcomes.set(index, perform(jobs[index])) }
        return outcomes.all
    }

    private static func perform(_ job: DurableJob) -> Result<String?, ArchiveIOError> {
        switch job {
        case .syncFile(let path):
            let descriptor = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { return .failure(ArchiveIOError("open", path)) }
            let failed = fsync(descriptor) != 0
            let code = errno
            close(descriptor)
            return failed ? .failure(ArchiveIOError("fsync", path, code: code)) : .success(nil)
        case .writeTemporary(let path, let bytes, let owner):
            do throws(ArchiveIOError) {
                return .success(try DurableFiles.durableTemporary(for: path, bytes, owner: owner))
            } catch {
                return .failure(error)
            }
        case .syncDirectory(let path):
            do throws(ArchiveIOError) {
                try DurableFiles.syncDirectory(path)
                return .success(nil)
            } catch {
                return .failure(error)
            }
        }
    }

    /// The outcomes, each set once by the worker that ran its job.
    private final class Outcomes: Sendable {
        private let values: Mutex<[Result<String?, ArchiveIOError>]>
        init(count: Int) { values = Mutex(Array(repeating: .success(nil), count: count)) }
        func set(_ index: Int, _ outcome: Result<String?, ArchiveIOError>) { values.withLock { $0[index] = outcome } }
        var all: [Result<String?, ArchiveIOError>] { values.withLock { $0 } }
    }

    /// fsync of each folder, concurrently; the first failure (in the folders' order) is thrown.
    static func syncDirectories(_ folders: [String]) throws(ArchiveIOError) {
        for outcome in run(folders.map { .syncDirectory($0) }) {
            if case .failure(let error) = outcome { throw error }
        }
    }
}

extension TenantWriter {
    /// Files a batch holds before it is committed on its own: what a crash can leave to redo, and the
    /// sidecars' bytes it keeps in memory.
    public static let batchLimit = 128

    /// Makes the batch durable in the order above. On any failure nothing of what is left reaches a
    /// final name (temporary files are removed), the error is thrown, and every later write throws it
    /// too: the engine has counted these items as archived, so the run must stop before its state
    /// could move past them.
    func commitBatch() throws {
        if let failure = batchFailure { throw failure }
        guard !batch.isEmpty else { return }
        let pending = batch
        batch = WriteBatch()
        do {
            try commit(pending)
        } catch {
            batchFailure = error
            throw error
        }
    }

    private func commit(_ pending: WriteBatch) throws {
        do { try check() } catch {
            for media in pending.media { unlink(media.temporaryPath) }
            throw error
        }
        // 1. Bytes durable under temporary names.
        let jobs = pending.media.map { DurableJob.syncFile(path: $0.temporaryPath) }
            + pending.sidecars.map { DurableJob.writeTemporary(path: $0.finalPath, bytes: $0.bytes, owner: owner) }
        let outcomes = DurableJobs.run(jobs)
        let sidecarTemporaries = outcomes.dropFirst(pending.media.count).map { (try? $0.get()) ?? nil }
        var leftover = pending.media.map(\.temporaryPath) + sidecarTemporaries.compactMap { $0 }
        defer { for path in leftover { unlink(path) } }
        for outcome in outcomes { if case .failure(let error) = outcome { throw error } }
        // 2. Media under their names, durable, before any sidecar that lists them. The lease is checked before
        // each rename, as before each single write: a run frozen mid-batch past its lease renames nothing more.
        for media in pending.media {
            try beforeBatchStep?("rename media")
            try check()
            if rename(media.temporaryPath, media.finalPath) != 0 { throw ArchiveIOError("rename to", media.finalPath) }
            leftover.removeFirst()
        }
        try DurableJobs.syncDirectories(Set(pending.media.map { DurableFiles.parentDirectory(of: $0.finalPath) }).sorted())
        // 3. Sidecars under their names; their folders are fsynced by flush(), before their manifest lines.
        for (sidecar, temporary) in zip(pending.sidecars, sidecarTemporaries) {
            guard let temporary else { continue }  // unchanged on disk
            try beforeBatchStep?("rename sidecars")
            try check()
            if rename(temporary, sidecar.finalPath) != 0 { throw ArchiveIOError("rename to", sidecar.finalPath) }
            leftover.removeFirst()
            unsyncedFolders.insert(DurableFiles.parentDirectory(of: sidecar.finalPath))
        }
    }

    /// Removes the batch's temporary files (the writer is closed before a commit: a run that failed).
    /// What they held was never named, so the next run fetches or writes it again.
    func discardBatch() {
        for media in batch.media { unlink(media.temporaryPath) }
        batch = WriteBatch()
    }
}
