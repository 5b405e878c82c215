import ArchiveStore
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// An anonymous scratch file: created in `directory` and unlinked at once, so that nothing is left
/// behind whatever happens to the process (a kill -9 included). Appends are buffered; reads use
/// pread. It lets the export keep per-item data on disk, not in memory.
final class Spool {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private(set) var size: Int64 = 0
    private let hasher = SHA256Hasher()
    private var digest: String?
    let directory: String
    /// How errors name it: "scratch data in <directory>".
    private var label: String { "scratch data in \(directory)" }

    init(in directory: String) throws(ArchiveIOError) {
        self.directory = directory
        var template = Array(DurableFiles.join(directory, ".ringlog-tmp.export-spool.XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw ArchiveIOError("create scratch data in", directory) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    deinit { close(descriptor) }

    /// Appends bytes; returns the offset they start at.
    @discardableResult
    func append(_ bytes: some Collection<UInt8>) throws(ArchiveIOError) -> Int64 {
        let offset = size
        buffer.append(contentsOf: bytes)
        size += Int64(bytes.count)
        if buffer.count >= 1 << 16 { try flush() }
        return offset
    }

    func append(line: String) throws(ArchiveIOError) {
        try append(Array((line + "\n").utf8))
    }

    /// Appends and adds to the running SHA-256 of everything appended with `hashing`.
    func appendHashed(_ bytes: [UInt8]) throws(ArchiveIOError) {
        hasher.update(bytes)
        try append(bytes)
    }

    /// SHA-256 of what `appendHashed` added (call once, after the last append).
    func finalizeHash() -> String {
        if let digest { return digest }
        digest = hasher.finalizeHex()
        return digest!
    }

    func flush() throws(ArchiveIOError) {
        guard !buffer.isEmpty else { return }
        try DurableFiles.writeAll(descriptor, buffer, path: label)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Streams `length` bytes from `offset` through `body` in 256 KiB reads.
    func read(from offset: Int64, length: Int64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try flush()
        var chunk = [UInt8](repeating: 0, count: Int(min(length, 1 << 18)))
        var position = offset
        let end = offset + length
        while position < end {
            let want = Int(min(Int64(chunk.count), end - position))
            let got = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(position)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw ArchiveIOError("read", label, code: got < 0 ? errno : EIO) }
            try chunk.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            position += Int64(got)
        }
    }

    func bytes(from offset: Int64, length: Int64) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(Int(length))
        try read(from: offset, length: length) { result.append(contentsOf: $0) }
        return result
    }

    /// Every line, in order (lines are written by this program: no torn ones).
    func forEachLine(_ body: (String) throws -> Void) throws {
        var pending: [UInt8] = []
        try read(from: 0, length: size) { chunk in
            for byte in chunk {
                if byte == 0x0A {
                    try body(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                } else {
                    pending.append(byte)
                }
            }
        }
    }
}
