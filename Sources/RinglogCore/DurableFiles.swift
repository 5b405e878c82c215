#if canImport(Glibc)
import Glibc
#endif

/// A failed file-system operation, naming the path and the system's reason.
public struct ArchiveIOError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }

    init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }
}

/// Crash-safe file primitives. Every file is written under a temporary name in its own directory,
/// fsynced, renamed into place, and the directory fsynced, so that after a crash at any instant a
/// name holds either its old content or its new content, never a mix, and a rename that returned
/// has survived.
public enum DurableFiles {
    public static func join(_ parts: String...) -> String { join(parts) }

    public static func join(_ parts: [String]) -> String {
        parts.filter { !$0.isEmpty }.enumerated().map { index, part in
            var part = part
            if index > 0 { while part.hasPrefix("/") { part.removeFirst() } }
            while part.count > 1 && part.hasSuffix("/") { part.removeLast() }
            return part
        }.joined(separator: "/")
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    public static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    public static func read(_ path: String) throws(ArchiveIOError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveIOError("open", path) }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ArchiveIOError("read", path)
            }
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
        }
    }

    /// Entries of a directory (no `.` or `..`), or an empty list when it does not exist.
    public static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `mkdir -p`, fsyncing each parent whose entry list changed, so a new directory survives a crash.
    public static func createDirectories(_ path: String) throws(ArchiveIOError) {
        if isDirectory(path) { return }
        let parent = parentDirectory(of: path)
        if parent != path { try createDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw ArchiveIOError("mkdir", path) }
        try syncDirectory(parent)
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func syncDirectory(_ path: String) throws(ArchiveIOError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveIOError("open directory", path) }
        defer { close(descriptor) }
        // Some network file systems refuse fsync on a directory; the rename itself is still atomic there.
        if fsync(descriptor) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP { throw ArchiveIOError("fsync", path) }
    }

    /// A new, exclusive temporary file beside `finalName` in `directory`.
    public static func createTemporary(in directory: String, for finalName: String) throws(ArchiveIOError) -> (path: String, descriptor: Int32) {
        for _ in 0..<8 {
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
            let path = join(directory, temporaryName(for: finalName, suffix: suffix))
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return (path, descriptor) }
            if errno != EEXIST { throw ArchiveIOError("create", path) }
        }
        throw ArchiveIOError("create temporary file in", directory, code: EEXIST)
    }

    /// `.ringlog-tmp.<hex>.<final name>`, shortened so that the whole name stays within 255 bytes.
    static func temporaryName(for finalName: String, suffix: String) -> String {
        let prefix = ArchiveNames.temporaryPrefix + suffix + "."
        let room = ArchiveNames.maximumNameBytes - prefix.utf8.count
        return prefix + String(decoding: finalName.utf8.prefix(room), as: UTF8.self)
    }

    /// fsync the temporary file, close it, rename it to `finalPath`, fsync the directory.
    public static func commit(temporaryPath: String, descriptor: Int32, to finalPath: String) throws(ArchiveIOError) {
        if fsync(descriptor) != 0 {
            let code = errno
            close(descriptor)
            unlink(temporaryPath)
            throw ArchiveIOError("fsync", temporaryPath, code: code)
        }
        close(descriptor)
        if rename(temporaryPath, finalPath) != 0 {
            let code = errno
            unlink(temporaryPath)
            throw ArchiveIOError("rename to", finalPath, code: code)
        }
        try syncDirectory(parentDirectory(of: finalPath))
    }

    public static func discard(temporaryPath: String, descriptor: Int32) {
        close(descriptor)
        unlink(temporaryPath)
    }

    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(ArchiveIOError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ArchiveIOError("write", path)
            }
            offset += written
        }
    }

    /// Replaces `path` atomically with `bytes`. Returns false, touching nothing, when the file already
    /// holds exactly these bytes: an unchanged file keeps its mtime, so rsync has nothing to copy.
    @discardableResult
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], onlyIfChanged: Bool = true) throws(ArchiveIOError) -> Bool {
        if onlyIfChanged, exists(path), let current = try? read(path), current == bytes { return false }
        let directory = parentDirectory(of: path)
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = try createTemporary(in: directory, for: name)
        do {
            try writeAll(temporary.descriptor, bytes, path: temporary.path)
        } catch {
            discard(temporaryPath: temporary.path, descriptor: temporary.descriptor)
            throw error
        }
        try commit(temporaryPath: temporary.path, descriptor: temporary.descriptor, to: path)
        return true
    }

    /// Appends one line (a single write, so concurrent readers never see half a line) and fsyncs.
    /// Append-only files are never rewritten, only extended.
    public static func appendLine(_ path: String, _ line: String) throws(ArchiveIOError) {
        let isNew = !exists(path)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ArchiveIOError("open for append", path) }
        defer { close(descriptor) }
        try writeAll(descriptor, Array((line + "\n").utf8), path: path)
        if fsync(descriptor) != 0 { throw ArchiveIOError("fsync", path) }
        if isNew { try syncDirectory(parentDirectory(of: path)) }
    }

    /// Removes temporary files left by an interrupted run (older than `minimumAgeSeconds`, so a
    /// concurrent writer's live temp file is never touched). Returns how many were removed.
    @discardableResult
    public static func sweepTemporaryFiles(in directory: String, minimumAgeSeconds: Int = 3600) -> Int {
        var removed = 0
        let now = time(nil)
        for name in list(directory) where name.hasPrefix(ArchiveNames.temporaryPrefix) {
            let path = join(directory, name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                Int(now - info.st_mtim.tv_sec) >= minimumAgeSeconds
            else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}
