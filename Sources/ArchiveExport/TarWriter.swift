import CArchive
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// The container an export is written in.
public enum ExportFormat: String, Sendable, CaseIterable {
    case tar
    case tarGzip = "tar.gz"
    case tarZstd = "tar.zst"

    /// From a file name: `.tar`, `.tar.gz`/`.tgz`, `.tar.zst`/`.tzst`; nil for anything else.
    public init?(fileName: String) {
        let name = fileName.lowercased()
        if name.hasSuffix(".tar") { self = .tar }
        else if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") { self = .tarGzip }
        else if name.hasSuffix(".tar.zst") || name.hasSuffix(".tzst") { self = .tarZstd }
        else { return nil }
    }

    /// The compression levels are fixed (gzip 6, zstd 3: each tool's own default), because the level
    /// changes the bytes and an export must be reproducible.
    static let gzipLevel = "6"
    static let zstdLevel = "3"
}

/// A failure inside libarchive while writing, with its message and errno (ENOSPC for a full disk).
public struct TarWriteError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let message: String
    public let code: Int32
    public var description: String { "\(operation): \(message)" }
}

/// A thin wrapper over libarchive's write API that can only produce reproducible tarballs: pax
/// (ustar headers, with a pax extended header only where ustar cannot hold a field, e.g. a name
/// over 100 bytes), numeric owner 0:0 with no user or group names, fixed modes, whole-second mtimes
/// and nothing else (no atime, ctime, birthtime, xattrs, ACLs, file flags), and compression
/// without a timestamp or file name in its header. Entries are written in the order given: the
/// caller sorts them.
final class TarWriter {
    static let fileMode: UInt32 = 0o640
    static let directoryMode: UInt32 = 0o750

    private let archive: OpaquePointer
    private let entry: OpaquePointer
    private var closed = false
    /// This writer runs the system's gzip (see `programSlot`).
    private var holdsProgramSlot = false

    /// One gzip child per process at a time. libarchive's program filter creates the child's pipes
    /// without close-on-exec, so a second child started meanwhile inherits the first one's stdin:
    /// the first gzip never sees end of input, never exits, and both exports wait forever (seen with
    /// two exports in one process). Serialising them costs nothing for the CLI, which runs one.
    private static let programSlot = DispatchSemaphore(value: 1)

    /// Writes to `descriptor` (a temporary file or standard output); the caller closes it.
    init(descriptor: Int32, format: ExportFormat) throws(TarWriteError) {
        guard let archive = archive_write_new(), let entry = archive_entry_new() else {
            throw TarWriteError(operation: "archive_write_new", message: "out of memory", code: ENOMEM)
        }
        self.archive = archive
        self.entry = entry
        // A throw below still runs `deinit` (every property is set): it frees the archive and the entry
        // and gives the gzip slot back.
        try check(archive_write_set_format_pax_restricted(archive), "set pax format")
        switch format {
        case .tar:
            try check(archive_write_add_filter_none(archive), "no compression")
        case .tarGzip:
            if let gzip = TarWriter.gzipProgram {
                TarWriter.programSlot.wait()
                holdsProgramSlot = true
                // The system's gzip in its own process (as `tar czf` does): compression runs on another
                // core while this one reads and hashes. `-n` keeps name and time out of the header;
                // the same gzip gives the same bytes, so exports stay reproducible on a machine.
                try check(archive_write_add_filter_program(archive, "\(gzip) -n -\(ExportFormat.gzipLevel)"), "gzip program")
            } else {
                try check(archive_write_add_filter_gzip(archive), "gzip filter")
                try check(archive_write_set_filter_option(archive, "gzip", "compression-level", ExportFormat.gzipLevel), "gzip level")
                // A NULL value is libarchive's "!timestamp": MTIME 0 in the gzip header. Its gzip header
                // never carries a file name (FNAME is not set).
                try check(archive_write_set_filter_option(archive, "gzip", "timestamp", nil), "gzip without timestamp")
            }
        case .tarZstd:
            try check(archive_write_add_filter_zstd(archive), "zstd filter")
            try check(archive_write_set_filter_option(archive, "zstd", "compression-level", ExportFormat.zstdLevel), "zstd level")
        }
        // 10 KiB records. The end is fixed here rather than left to libarchive, which pads the last
        // block for a terminal or fd 1 and not for a file: the bytes must not depend on where they go.
        // A plain tar is padded to its record size like GNU tar's; a compressed stream is not padded
        // (zeros after a gzip member make `gzip -d` warn about trailing garbage).
        try check(archive_write_set_bytes_per_block(archive, 10240), "block size")
        try check(archive_write_set_bytes_in_last_block(archive, format == .tar ? 0 : 1), "last block")
        try check(archive_write_open_fd(archive, descriptor), "open")
    }

    deinit {
        if !closed { _ = archive_write_fail(archive) }
        archive_write_free(archive)  // after a fail, frees without writing the end-of-archive blocks
        archive_entry_free(entry)
        if holdsProgramSlot { TarWriter.programSlot.signal() }  // the child has been waited for
    }

    /// `/usr/bin/gzip` or `/bin/gzip` when present (never a PATH lookup: what compresses an archive
    /// must not depend on the caller's environment); nil falls back to libarchive's own zlib filter.
    static let gzipProgram: String? = ["/usr/bin/gzip", "/bin/gzip"].first { access($0, X_OK) == 0 }

    private func check(_ status: Int32, _ operation: String) throws(TarWriteError) {
        // ARCHIVE_WARN is a failure too: a reproducible export takes no silent fallback.
        guard status != ARCHIVE_OK else { return }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive status \(status)"
        throw TarWriteError(operation: operation, message: message, code: archive_errno(archive))
    }

    private func header(path: String, type: UInt32, mode: UInt32, size: Int64, mtime: Int64) throws(TarWriteError) {
        archive_entry_clear(entry)
        archive_entry_set_pathname_utf8(entry, path)
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_size(entry, size)
        archive_entry_set_mtime(entry, time_t(mtime), 0)
        try check(archive_write_header(archive, entry), "write header of \(path)")
    }

    /// A directory entry; `path` ends with `/`.
    func addDirectory(_ path: String, mtime: Int64) throws(TarWriteError) {
        try header(path: path, type: CA_IFDIR, mode: Self.directoryMode, size: 0, mtime: mtime)
    }

    /// Starts a regular file of exactly `size` bytes; `write` its data, then `finishEntry`.
    func beginFile(_ path: String, size: Int64, mtime: Int64) throws(TarWriteError) {
        try header(path: path, type: CA_IFREG, mode: Self.fileMode, size: size, mtime: mtime)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TarWriteError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(archive, base + offset, bytes.count - offset)
            if written < 0 {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "write failed"
                throw TarWriteError(operation: "write", message: message, code: archive_errno(archive))
            }
            if written == 0 { throw TarWriteError(operation: "write", message: "libarchive accepted no data", code: EIO) }
            offset += written
        }
    }

    func finishEntry() throws(TarWriteError) {
        try check(archive_write_finish_entry(archive), "finish entry")
    }

    /// Bytes written to the descriptor so far (after compression).
    var bytesWritten: Int64 { archive_filter_bytes(archive, -1) }

    /// Writes the end-of-archive blocks and flushes the compressor.
    func close() throws(TarWriteError) {
        closed = true
        try check(archive_write_close(archive), "close")
    }
}
