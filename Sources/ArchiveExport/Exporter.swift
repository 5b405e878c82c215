import ArchiveStore
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// How an export runs, apart from what it exports.
public struct ExportContext: Sendable {
    /// Called a few times a second with files and bytes written so far.
    public var progress: (@Sendable (ExportProgress) -> Void)?
    /// Raised by SIGINT/SIGTERM: the export stops within a chunk, leaving nothing at the destination.
    public var cancellation: CancellationFlag?
    /// Items the exclusion rules match that `exclude apply` has not removed yet; they are never
    /// exported. (The exclusion pass supplies its matcher; by default nothing matches.)
    public var isExcluded: @Sendable (Sidecar) -> Bool = { _ in false }
    /// Where the scratch files of pass 1 go (anonymous: unlinked at once). Default: the output
    /// file's directory, or $TMPDIR (else /tmp) for standard output.
    public var scratchDirectory: String?
    /// Standard output, for `.standardOutput` (a test passes a pipe or file).
    public var standardOutput: Int32 = 1

    public init() {}
}

/// `ringlog export`: one reproducible tarball of a tenant's items in a period (layout-spec §15).
public enum Exporter {
    public static let exportVersion = 1
    /// Leftover temporary tarballs of a killed export older than this are removed by the next
    /// export to the same file (a live export writes to its file continuously).
    static let staleTemporarySeconds = 600.0

    public static func export(root: ArchiveRoot, request: ExportRequest, to destination: ExportDestination,
                              context: ExportContext = ExportContext()) throws -> ExportSummary {
        let store = root.store(for: request.tenantId)
        let marker = try store.marker()
        if let wanted = request.extensionFolders {
            let present = Set(store.reader.extensionFolders)
            for folder in wanted.sorted() where !present.contains(folder) {
                throw ExportError.refused("tenant \(request.tenantId) has no extension folder \(folder.debugDescription) "
                                          + "(it has: \(present.sorted().joined(separator: ", ")))")
            }
        }
        let policy = try GovernanceInputs.policy(tenantDirectory: store.directory)
        let exclusions = try GovernanceInputs.exclusionRulesInForce(tenantDirectory: store.directory)
        let output = try OutputTarget(destination, tenantDirectory: store.directory, standardOutput: context.standardOutput)
        let scratch = context.scratchDirectory ?? output.scratchDirectory

        var plan = try ExportPlan(scratchDirectory: scratch)
        var planner = ExportPlanner(store: store, request: request, isExcluded: context.isExcluded, cancellation: context.cancellation)
        try planner.plan(into: &plan)

        let exportJSON = Self.exportJSON(request: request, marker: marker, plan: plan, policy: policy, exclusions: exclusions)
        let descriptor = try output.open()
        do {
            let written = try TarStream(plan: plan, request: request, exportJSON: exportJSON, context: context,
                                        store: store, outputName: output.name).write(to: descriptor)
            try output.commit()
            return ExportSummary(topDirectory: request.topDirectory, files: plan.files, bytes: plan.bytes, counts: plan.counts,
                                 outputBytes: written, omittedTombstoned: plan.omittedTombstoned, omittedExcluded: plan.omittedExcluded)
        } catch {
            output.abandon()
            throw error
        }
    }

    /// EXPORT.json: what the tarball holds and under which rules. Nothing in it depends on when or
    /// where the export ran, so that two exports of the same archive state are byte-identical.
    static func exportJSON(request: ExportRequest, marker: TenantMarker, plan: ExportPlan, policy: JSON?, exclusions: Int) -> [UInt8] {
        var object = JSONObject()
        object["format"] = "ringlog-export"
        object["exportVersion"] = .int(Int64(exportVersion))
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["ringlogVersion"] = .string(request.ringlogVersion)
        object["tenantId"] = .string(marker.tenantId)
        object["accountId"] = marker.accountId.map { .string($0) } ?? .null
        object["period"] = ["name": .string(request.period.name), "from": .string(request.period.from.iso8601),
                            "to": .string(request.period.to.iso8601)]
        object["selection"] = [
            "extensions": request.extensionFolders.map { .array($0.sorted { ExportPlan.precedes($0, $1) }.map { .string($0) }) } ?? .null,
            "kinds": .array(request.kinds.sorted().map { .string($0.rawValue) }),
        ]
        var counts = JSONObject()
        for key in ["calls", "recordings", "voicemails", "voicemailAudio", "transcriptions"] { counts[key] = .int(plan.counts[key] ?? 0) }
        // Only when there are any: an export of a tree without insights stays byte-identical to before (§15.1).
        if let insights = plan.counts["insights"], insights > 0 { counts["insights"] = .int(insights) }
        counts["files"] = .int(plan.files)
        counts["manifestLines"] = .int(plan.manifestLines)
        object["counts"] = .object(counts)
        object["bytes"] = .int(plan.bytes)
        object["omitted"] = ["tombstoned": .int(plan.omittedTombstoned), "excluded": .int(plan.omittedExcluded), "unfiled": .int(plan.unfiled)]
        object["policy"] = policy ?? .null
        object["exclusions"] = .int(exclusions)
        object["files"] = ["manifest": .string(ExportPlan.manifestName), "checksums": .string(ExportPlan.checksumsName)]
        return JSON.object(object).serializedBytes(.pretty) + [0x0A]
    }
}

/// Pass 2: the tarball, entry by entry in path order, media streamed and hashed as they go in.
private struct TarStream {
    let plan: ExportPlan
    let request: ExportRequest
    let exportJSON: [UInt8]
    let context: ExportContext
    let store: TenantStore
    let outputName: String

    func write(to descriptor: Int32) throws -> Int64 {
        let tar: TarWriter
        do { tar = try TarWriter(descriptor: descriptor, format: request.format) } catch { throw outputError(error) }
        let top = request.topDirectory + "/"
        let mtime = request.period.from.millisecondsSinceEpoch / 1000
        var progress = ExportProgress(files: 0, totalFiles: plan.files, bytes: 0, totalBytes: plan.bytes)
        var lastReport = 0.0
        func report(force: Bool = false) {
            guard let callback = context.progress else { return }
            let now = monotonicSeconds()
            if force || now - lastReport >= 0.2 {
                lastReport = now
                callback(progress)
            }
        }
        func cancelled() throws {
            if let reason = context.cancellation?.reason { throw ExportError.interrupted(reason) }
        }
        var metadataWritten = false
        func writeMetadata() throws {
            metadataWritten = true
            let manifestSHA = plan.manifest.finalizeHash()
            let exportSHA = SHA256Hasher.hex(of: exportJSON)
            try guarded { try tar.beginFile(top + ExportPlan.exportJSONName, size: Int64(exportJSON.count), mtime: mtime) }
            try guarded { try exportJSON.withUnsafeBytes { try tar.write($0) } }
            try guarded { try tar.finishEntry() }
            try guarded { try tar.beginFile(top + ExportPlan.manifestName, size: plan.manifest.size, mtime: mtime) }
            try plan.manifest.read(from: 0, length: plan.manifest.size) { chunk in try guarded { try tar.write(chunk) } }
            try guarded { try tar.finishEntry() }
            let own = Array("\(exportSHA)  \(ExportPlan.exportJSONName)\n\(manifestSHA)  \(ExportPlan.manifestName)\n".utf8)
            try guarded { try tar.beginFile(top + ExportPlan.checksumsName, size: plan.checksums.size + Int64(own.count), mtime: mtime) }
            try plan.checksums.read(from: 0, length: plan.checksumSplit) { chunk in try guarded { try tar.write(chunk) } }
            try guarded { try own.withUnsafeBytes { try tar.write($0) } }
            try plan.checksums.read(from: plan.checksumSplit, length: plan.checksums.size - plan.checksumSplit) { chunk in
                try guarded { try tar.write(chunk) }
            }
            try guarded { try tar.finishEntry() }
        }

        try guarded { try tar.addDirectory(top, mtime: mtime) }
        try plan.entries.forEachLine { line in
            guard let entry = ExportPlan.Entry(line: line) else { throw ExportError.output(path: outputName, reason: "scratch file damaged") }
            try cancelled()
            switch entry.source {
            case .directory:
                let components = entry.path.split(separator: "/")
                if !metadataWritten, components.count == 1, ExportPlan.precedes(ExportPlan.exportJSONName, String(components[0])) {
                    try writeMetadata()
                }
                try guarded { try tar.addDirectory(top + entry.path, mtime: entry.mtime) }
            case .sidecar(let offset):
                try guarded { try tar.beginFile(top + entry.path, size: entry.size, mtime: entry.mtime) }
                try plan.sidecars.read(from: offset, length: entry.size) { chunk in try guarded { try tar.write(chunk) } }
                try guarded { try tar.finishEntry() }
                progress.files += 1
                progress.bytes += entry.size
            case .media(let relative):
                try guarded { try tar.beginFile(top + entry.path, size: entry.size, mtime: entry.mtime) }
                try streamMedia(relative, expected: entry, into: tar) { count in
                    try cancelled()
                    progress.bytes += Int64(count)
                    report()
                }
                try guarded { try tar.finishEntry() }
                progress.files += 1
            }
            report()
        }
        if !metadataWritten { try writeMetadata() }
        try guarded { try tar.close() }
        report(force: true)
        return tar.bytesWritten
    }

    /// Streams one media file into the open entry, hashing it; anything but exactly the bytes its
    /// sidecar records is damage, and the export stops rather than ship it.
    private func streamMedia(_ relative: String, expected: ExportPlan.Entry, into tar: TarWriter,
                             advanced: (Int) throws -> Void) throws {
        var streamed: Int64 = 0
        let digest: (sha256: String, size: Int64)
        do {
            digest = try DurableFiles.streamFile(store.path(relative)) { chunk in
                streamed += Int64(chunk.count)
                guard streamed <= expected.size else {
                    throw ExportError.damaged(path: relative, reason: "grew past the \(expected.size) bytes its sidecar records while being exported")
                }
                try guarded { try tar.write(chunk) }
                try advanced(chunk.count)
            }
        } catch let error as ArchiveIOError {
            let reason = error.code == ENOENT ? "disappeared during the export (a concurrent purge?)"
                : error.code == EINVAL ? "is not a regular file" : "cannot be read (\(ArchiveIOError.plainReason(error.code)))"
            throw ExportError.damaged(path: relative, reason: reason)
        }
        guard digest.size == expected.size else {
            throw ExportError.damaged(path: relative, reason: "has \(digest.size) bytes; its sidecar records \(expected.size)")
        }
        guard digest.sha256 == expected.sha256 else {
            throw ExportError.damaged(path: relative, reason: "has sha256 \(digest.sha256), but its sidecar records \(expected.sha256): its bytes changed")
        }
    }

    private func outputError(_ error: TarWriteError) -> ExportError {
        let reason = error.code != 0 ? "\(ArchiveIOError.plainReason(error.code)) (\(error.description))" : error.description
        return .output(path: outputName, reason: reason)
    }

    /// Runs a libarchive call, naming the output in its error.
    private func guarded(_ body: () throws -> Void) throws {
        do { try body() } catch let error as TarWriteError { throw outputError(error) }
    }
}

/// The destination: a temporary file beside the final name (renamed into place only when complete)
/// or standard output.
private final class OutputTarget {
    let name: String
    let scratchDirectory: String
    private let finalPath: String?
    private let replacing: Bool
    private let standardOutput: Int32
    private var temporaryPath: String?
    private var descriptor: Int32 = -1

    init(_ destination: ExportDestination, tenantDirectory: String, standardOutput: Int32) throws {
        self.standardOutput = standardOutput
        switch destination {
        case .standardOutput:
            name = "standard output"
            finalPath = nil
            replacing = false
            let tmp = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            scratchDirectory = tmp
        case .file(let path, let replace):
            name = path
            finalPath = path
            replacing = replace
            let directory = DurableFiles.parentDirectory(of: path)
            scratchDirectory = directory
            guard DurableFiles.isDirectory(directory) else { throw ExportError.refused("\(directory) (the directory of -o \(path)) does not exist") }
            var info = stat()
            if lstat(path, &info) == 0 {
                guard replace else { throw ExportError.refused("\(path) exists; add --force to replace it") }
                guard (info.st_mode & S_IFMT) == S_IFREG else { throw ExportError.refused("\(path) exists and is not a regular file") }
            }
            if let real = Self.realPath(directory), let tenant = Self.realPath(tenantDirectory), real == tenant || real.hasPrefix(tenant + "/") {
                throw ExportError.refused("-o \(path) is inside the tenant directory; write the export outside the archive tree")
            }
            Self.sweepStaleTemporaries(in: directory, for: DurableFiles.fileName(of: path))
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `.ringlog-tmp.export.<serial>.<name>` files a killed export left for this same name.
    static func sweepStaleTemporaries(in directory: String, for finalName: String) {
        for name in DurableFiles.list(directory) where name.hasPrefix(ArchiveNames.temporaryPrefix + "export.") {
            let parts = name.dropFirst(ArchiveNames.temporaryPrefix.count + "export.".count).split(separator: ".", maxSplits: 1)
            guard parts.count == 2, finalName.hasPrefix(String(parts[1])) || String(parts[1]) == finalName else { continue }
            let path = DurableFiles.join(directory, name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let age = Double(time(nil) - info.st_mtim.tv_sec)
            if age > Exporter.staleTemporarySeconds { unlink(path) }
        }
    }

    func open() throws -> Int32 {
        guard let finalPath else {
            descriptor = standardOutput
            return descriptor
        }
        let directory = DurableFiles.parentDirectory(of: finalPath)
        let temporary: (path: String, descriptor: Int32)
        do { temporary = try DurableFiles.createTemporary(in: directory, for: DurableFiles.fileName(of: finalPath), owner: "export") } catch {
            throw ExportError.output(path: finalPath, reason: "cannot create a temporary file in \(directory): \(ArchiveIOError.plainReason(error.code))")
        }
        temporaryPath = temporary.path
        descriptor = temporary.descriptor
        return descriptor
    }

    /// fsync, then rename into place (never over an existing file without `replacing`), fsync the directory.
    func commit() throws {
        guard let finalPath, let temporaryPath else { return }
        if fsync(descriptor) != 0 { throw ExportError.output(path: finalPath, reason: ArchiveIOError.plainReason(errno)) }
        close(descriptor)
        descriptor = -1
        if replacing {
            guard rename(temporaryPath, finalPath) == 0 else { throw ExportError.output(path: finalPath, reason: ArchiveIOError.plainReason(errno)) }
        } else if link(temporaryPath, finalPath) == 0 {
            unlink(temporaryPath)  // link refuses an existing name: a file that appeared meanwhile is never replaced
        } else if errno == EEXIST {
            throw ExportError.refused("\(finalPath) appeared while the export ran; add --force to replace it")
        } else {
            // File systems without hard links (some SMB shares): check, then rename.
            guard !DurableFiles.exists(finalPath) else { throw ExportError.refused("\(finalPath) exists; add --force to replace it") }
            guard rename(temporaryPath, finalPath) == 0 else { throw ExportError.output(path: finalPath, reason: ArchiveIOError.plainReason(errno)) }
        }
        self.temporaryPath = nil
        do { try DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: finalPath)) } catch {
            throw ExportError.output(path: finalPath, reason: ArchiveIOError.plainReason(error.code))
        }
    }

    /// Removes the temporary file: a failed export leaves nothing behind.
    func abandon() {
        if let temporaryPath {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporaryPath)
            self.temporaryPath = nil
            descriptor = -1
        }
    }
}
