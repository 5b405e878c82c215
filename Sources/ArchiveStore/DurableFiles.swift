import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file primitives. Every file is written under a temporary name in its own directory,
/// fsynced, renamed into place, and the directory fsynced, so that after a crash at any instant a
/// name holds either its old content or its new content, never a mix, and a rename that returned
/// has survived. Append-only files are extended one whole line per `write(2)` and repaired before
/// the next append if a crash or a full disk left a fragment.
public enum DurableFiles {
    /// Archived personal data is private: the owner writes, a backup group reads, nobody else.
    /// Passed to open(2)/mkdir(2), so a stricter umask still applies.
    public static let fileMode: mode_t = 0o640
    public static let directoryMode: mode_t = 0o750

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

    /// The whole file. For small files only (markers, sidecars, control files); media are streamed.
    public static func read(_ path: String) throws(ArchiveIOError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveIOError("open", path) }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var info = stat()
        // A buffer the file's size (a sidecar is a few KB): not 64 KiB zeroed for every small file.
        let size = fstat(descriptor, &info) == 0 && info.st_size > 0 ? min(1 << 16, Int(info.st_size) + 1) : 1 << 16
        result.reserveCapacity(size)
        var reader = ChunkReader(descriptor, path: path, size: size)
        while let chunk = try reader.next() { result.append(contentsOf: chunk) }
        return result
    }

    /// The file's bytes, or nil when it does not exist. Any other failure throws: "cannot read" must
    /// never be mistaken for "absent" (that is how a sidecar gets replaced by an empty one).
    public static func readIfPresent(_ path: String) throws(ArchiveIOError) -> [UInt8]? {
        do {
            return try read(path)
        } catch {
            if error.code == ENOENT { return nil }
            throw error
        }
    }

    /// SHA-256 and size of a file, streamed in 256 KiB reads (constant memory whatever the size).
    public static func hashFile(_ path: String) throws(ArchiveIOError) -> (sha256: String, size: Int64) {
        // Only a regular file ringlog renamed into place is media: not a symlink to /dev/zero or elsewhere.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw ArchiveIOError("open", path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw ArchiveIOError("hash", path, code: EINVAL) }
        let hasher = SHA256Hasher()
        var size: Int64 = 0
        var reader = ChunkReader(descriptor, path: path, size: 1 << 18)
        while let chunk = try reader.next() {
            chunk.withUnsafeBytes { hasher.update($0) }
            size += Int64(chunk.count)
        }
        return (hasher.finalizeHex(), size)
    }

    /// Streams a regular file (never a symlink or a device) through `body` in `chunkSize` reads,
    /// hashing on the way: constant memory whatever the size. Returns its SHA-256 and size.
    public static func streamFile(_ path: String, chunkSize: Int = 1 << 18,
                                  _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> (sha256: String, size: Int64) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw ArchiveIOError("open", path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw ArchiveIOError("read", path, code: EINVAL) }
        let hasher = SHA256Hasher()
        var size: Int64 = 0
        var reader = ChunkReader(descriptor, path: path, size: min(chunkSize, max(4096, Int(info.st_size) + 1)))
        while let chunk = try reader.next() {
            try chunk.withUnsafeBytes { bytes in
                hasher.update(bytes)
                try body(bytes)
            }
            size += Int64(chunk.count)
        }
        return (hasher.finalizeHex(), size)
    }

    /// Entries of a directory (no `.` or `..`), sorted, or an empty list when it does not exist.
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

    /// Entries of a directory (no `.` or `..`) sorted in byte order, nil when it does not exist; any
    /// other failure (permission, I/O) throws: a pass that checks the tree must not read "cannot
    /// list" as "empty".
    public static func listing(_ path: String) throws(ArchiveIOError) -> [String]? {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return nil }
            throw ArchiveIOError("list", path)
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw ArchiveIOError("list", path) }
                break
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { Array(UnsafeBufferPointer(start: $0, count: strlen(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)))) }
            }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `mkdir -p` with mode 0750, fsyncing each parent whose entry list changed, so a new directory
    /// survives a crash.
    public static func createDirectories(_ path: String) throws(ArchiveIOError) {
        if isDirectory(path) { return }
        let parent = parentDirectory(of: path)
        if parent != path { try createDirectories(parent) }
        if mkdir(path, directoryMode) != 0 && errno != EEXIST { throw ArchiveIOError("mkdir", path) }
        try syncDirectory(parent)
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func fileName(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    public static func syncDirectory(_ path: String) throws(ArchiveIOError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveIOError("open directory", path) }
        defer { close(descriptor) }
        // Some network file systems refuse fsync on a directory; the rename itself is still atomic there.
        if fsync(descriptor) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP { throw ArchiveIOError("fsync", path) }
    }

    /// A new, exclusive temporary file beside `finalName` in `directory`, named
    /// `.ringlog-tmp.<owner>.<n>.<final name>`: `owner` is the lease token of the writer, so a sweep
    /// can tell its own live temporary files from those a crashed or fenced run left.
    public static func createTemporary(in directory: String, for finalName: String,
                                       owner: String) throws(ArchiveIOError) -> (path: String, descriptor: Int32) {
        for _ in 0..<8 {
            let serial = String(UInt32.random(in: 0...UInt32.max), radix: 16)
            let path = join(directory, temporaryName(for: finalName, owner: owner, serial: serial))
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
            if descriptor >= 0 { return (path, descriptor) }
            if errno != EEXIST { throw ArchiveIOError("create", path) }
        }
        throw ArchiveIOError("create temporary file in", directory, code: EEXIST)
    }

    /// `.ringlog-tmp.<owner>.<serial>.<final name>`, shortened so that the whole name stays within 255 bytes.
    static func temporaryName(for finalName: String, owner: String, serial: String) -> String {
        let prefix = ArchiveNames.temporaryPrefix + owner + "." + serial + "."
        let room = ArchiveNames.maximumNameBytes - prefix.utf8.count
        return prefix + String(decoding: finalName.utf8.prefix(room), as: UTF8.self)
    }

    /// The owner token in a temporary file's name, if it is one.
    static func temporaryOwner(_ name: String) -> String? {
        guard name.hasPrefix(ArchiveNames.temporaryPrefix) else { return nil }
        return name.dropFirst(ArchiveNames.temporaryPrefix.count).split(separator: ".", maxSplits: 1).first.map(String.init)
    }

    /// fsync the temporary file, close it, rename it to `finalPath`, fsync the directory (unless the
    /// caller fsyncs it later, before anything that relies on the rename: `TenantWriter.flush`).
    public static func commit(temporaryPath: String, descriptor: Int32, to finalPath: String,
                              syncingDirectory: Bool = true) throws(ArchiveIOError) {
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
        if syncingDirectory { try syncDirectory(parentDirectory(of: finalPath)) }
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
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], owner: String = "unleased",
                                       onlyIfChanged: Bool = true, syncingDirectory: Bool = true) throws(ArchiveIOError) -> Bool {
        guard let temporary = try durableTemporary(for: path, bytes, owner: owner, onlyIfChanged: onlyIfChanged) else { return false }
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw ArchiveIOError("rename to", path, code: code)
        }
        if syncingDirectory { try syncDirectory(parentDirectory(of: path)) }
        return true
    }

    /// §9.1 steps 1–2 for `path`: `bytes` in a new temporary file beside it, fsynced and closed; returns
    /// its path, for the caller to rename. Nil, writing nothing, when `onlyIfChanged` and the file already
    /// holds exactly these bytes. On failure the temporary file is removed.
    static func durableTemporary(for path: String, _ bytes: [UInt8], owner: String,
                                 onlyIfChanged: Bool = true) throws(ArchiveIOError) -> String? {
        if onlyIfChanged, let current = try readIfPresent(path), current == bytes { return nil }
        let temporary = try createTemporary(in: parentDirectory(of: path), for: fileName(of: path), owner: owner)
        do throws(ArchiveIOError) {
            try writeAll(temporary.descriptor, bytes, path: temporary.path)
            if fsync(temporary.descriptor) != 0 { throw ArchiveIOError("fsync", temporary.path) }
        } catch {
            discard(temporaryPath: temporary.path, descriptor: temporary.descriptor)
            throw error
        }
        close(temporary.descriptor)
        return temporary.path
    }

    /// What an append found and repaired at the end of a file: a line a crash or a full disk cut
    /// short (removed), or a complete last line that only lacked its newline (kept, newline added).
    public struct TailRepair: Sendable {
        public let path: String
        public let removedBytes: Int
        /// The start of the removed fragment, for the error log (at most 200 bytes, as text).
        public let fragment: String
    }

    /// Appends one line with a single `write(2)`, then fsyncs. Before writing, a file whose last byte
    /// is not a newline is repaired (the fragment truncated away, or a complete JSON object given its
    /// newline), so two lines are never glued into one. A failed write is rolled back to the previous
    /// length. Returns the repair made, if any, for the caller to record.
    @discardableResult
    public static func appendLine(_ path: String, _ line: String) throws(ArchiveIOError) -> TailRepair? {
        try appendLines(path, [line])
    }

    /// Appends whole lines as `appendLine` does one: the tail repaired first, then every line in one
    /// `write(2)`, then one fsync. A failed write or fsync (a full disk) truncates the file back to its length
    /// before the first of them, so the file ends with a whole line whatever happens — all of these
    /// lines are on disk, or none.
    @discardableResult
    public static func appendLines(_ path: String, _ lines: [String]) throws(ArchiveIOError) -> TailRepair? {
        guard !lines.isEmpty else { return nil }
        let isNew = !exists(path)
        // O_NOFOLLOW: a symlink planted in the tree must not make ringlog append to a file outside it.
        let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard descriptor >= 0 else { throw ArchiveIOError("open for append", path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ArchiveIOError("stat", path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ArchiveIOError("append to", path, code: EINVAL) }
        var length = Int64(info.st_size)
        var repair: TailRepair?
        if length > 0 {
            let tail = try repairTail(descriptor, path: path, length: length)
            length = tail.length
            repair = tail.repair
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
        for line in lines {
            bytes += line.utf8
            bytes.append(0x0A)
        }
        var written = -1
        repeat {
            written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
        } while written < 0 && errno == EINTR  // interrupted before writing anything
        if written != bytes.count {
            let code = written < 0 ? errno : ENOSPC  // a short write to a file means the space ran out mid-line
            _ = ftruncate(descriptor, off_t(length))
            _ = fsync(descriptor)
            throw ArchiveIOError("append to", path, code: code)
        }
        if fsync(descriptor) != 0 {
            let code = errno
            _ = ftruncate(descriptor, off_t(length))
            throw ArchiveIOError("fsync", path, code: code)
        }
        if isNew { try syncDirectory(parentDirectory(of: path)) }
        return repair
    }

    /// Appends without repairing or rolling back: for a fenced run's own run-log line, written while
    /// the new lease holder may be appending to the same file (truncating could cut its line).
    public static func appendLineUnguarded(_ path: String, _ line: String) throws(ArchiveIOError) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard descriptor >= 0 else { throw ArchiveIOError("open for append", path) }
        defer { close(descriptor) }
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
        guard written == bytes.count else { throw ArchiveIOError("append to", path, code: written < 0 ? errno : ENOSPC) }
        _ = fsync(descriptor)
    }

    private static func repairTail(_ descriptor: Int32, path: String,
                                   length: Int64) throws(ArchiveIOError) -> (length: Int64, repair: TailRepair?) {
        var last: UInt8 = 0
        guard pread(descriptor, &last, 1, off_t(length - 1)) == 1 else { throw ArchiveIOError("read", path) }
        if last == 0x0A { return (length, nil) }
        // Find the last newline, reading backwards in chunks.
        var end = length
        var lineStart: Int64 = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        search: while end > 0 {
            let start = max(0, end - Int64(chunk.count))
            let count = Int(end - start)
            let got = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(start)) }
            guard got == count else { throw ArchiveIOError("read", path) }
            for index in stride(from: count - 1, through: 0, by: -1) where chunk[index] == 0x0A {
                lineStart = start + Int64(index) + 1
                break search
            }
            end = start
        }
        let fragmentLength = Int(length - lineStart)
        var fragment = [UInt8](repeating: 0, count: min(fragmentLength, 1 << 20))
        let got = fragment.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(lineStart)) }
        guard got == fragment.count else { throw ArchiveIOError("read", path) }
        // A complete JSON object that only lacks its newline (a hand edit) is kept: a strict prefix of
        // an object can never parse, so this cannot mistake a torn line for a whole one.
        if fragmentLength == fragment.count, case .object = try? JSON.parse(fragment) {
            let newline: [UInt8] = [0x0A]
            guard newline.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress!, 1) }) == 1, fsync(descriptor) == 0 else {
                throw ArchiveIOError("append to", path)
            }
            return (length + 1, nil)
        }
        guard ftruncate(descriptor, off_t(lineStart)) == 0, fsync(descriptor) == 0 else { throw ArchiveIOError("truncate", path) }
        let shown = String(decoding: fragment.prefix(200), as: UTF8.self)
        return (lineStart, TailRepair(path: path, removedBytes: fragmentLength, fragment: shown))
    }

    /// Calls `body` with each complete line of an append-only file, streamed in 64 KiB reads. A final
    /// fragment without its newline is an append that never completed: it is skipped (and repaired by
    /// the next append). Returns false when the file does not exist.
    @discardableResult
    public static func forEachLine(_ path: String, _ body: (ArraySlice<UInt8>) throws -> Void) throws -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return false }
            throw ArchiveIOError("open", path)
        }
        defer { close(descriptor) }
        var pending: [UInt8] = []
        var reader = ChunkReader(descriptor, path: path, size: 1 << 16)
        while let chunk = try reader.next() {
            var start = chunk.startIndex
            for index in chunk.indices where chunk[index] == 0x0A {
                if pending.isEmpty {
                    if index > start { try body(chunk[start..<index]) }
                } else {
                    pending.append(contentsOf: chunk[start..<index])
                    try body(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = index + 1
            }
            pending.append(contentsOf: chunk[start...])
        }
        return true
    }

    /// Removes temporary files in `directory` that are not `keeping`'s: under the tenant's lease no
    /// other live writer exists, so they are a crashed or fenced run's. Returns how many were removed.
    @discardableResult
    public static func sweepTemporaryFiles(in directory: String, keeping owner: String) -> Int {
        var removed = 0
        for name in list(directory) where name.hasPrefix(ArchiveNames.temporaryPrefix) && temporaryOwner(name) != owner {
            let path = join(directory, name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}

/// Reads a descriptor in chunks of a fixed size, retrying EINTR: the one read loop behind whole-file
/// reads, streamed hashing and line-by-line reading.
struct ChunkReader {
    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8]

    init(_ descriptor: Int32, path: String, size: Int) {
        self.descriptor = descriptor
        self.path = path
        buffer = [UInt8](repeating: 0, count: size)
    }

    /// The next chunk, or nil at the end of the file.
    mutating func next() throws(ArchiveIOError) -> ArraySlice<UInt8>? {
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ArchiveIOError("read", path)
            }
            return count == 0 ? nil : buffer[0..<count]
        }
    }
}
