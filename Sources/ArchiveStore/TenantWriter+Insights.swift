import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

extension TenantWriter {
    /// Writes one revision of a recording's RingSense insights as `fileName` in `relativeDirectory`
    /// (temporary file → fsync → rename → fsync of the folder, §9.1) and returns its `archive.media`
    /// entry (kind `insights`, the recording's id). A name already taken is refused, never replaced:
    /// every revision is a file of its own, written once (§6.9, §9.3).
    public func commitInsights(_ bytes: [UInt8], fileName: String, in relativeDirectory: String, recordingId: String) throws -> MediaEntry {
        let directory = try prepare(relativeDirectory)
        let path = DurableFiles.join(directory, fileName)
        var info = stat()
        guard lstat(path, &info) != 0 else { throw MediaFileError(DurableFiles.join(relativeDirectory, fileName)) }
        try check()
        try DurableFiles.writeAtomically(path, bytes, owner: owner, onlyIfChanged: false)
        return MediaEntry(kind: .insights, id: recordingId, file: fileName, sha256: SHA256Hasher.hex(of: bytes), size: Int64(bytes.count),
                          contentType: Self.insightsContentType, archivedAt: Timestamp.now())
    }

    public static let insightsContentType = "application/json"
}
