import ArchiveExport
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// A tenant tree written in-process through ArchiveStore's own writer (the same API the sync uses),
/// so that export and verify tests run on a real layout in milliseconds, without the simulator.
final class TreeFixture {
    let scratch = ScratchDirectory()
    let root: ArchiveRoot
    let tenantId: String
    var store: TenantStore { root.store(for: tenantId) }
    var tenantDirectory: String { store.directory }
    /// Item paths written (relative to the tenant directory).
    private(set) var files: [String] = []

    init() throws {
        root = try ArchiveRoot.initialize(scratch.path + "/archive")
        var marker = try root.addTenant(name: "Fixture", server: "https://platform.ringcentral.com", since: nil)
        tenantId = marker.tenantId
        marker.accountId = "400131000000"
        let writer = try root.store(for: tenantId).openWriter(leaseSeconds: 30)
        defer { writer.close() }
        try writer.saveMarker(marker)
    }

    func path(_ relative: String) -> String { tenantDirectory + "/" + relative }

    /// Deterministic bytes that do not compress away (a PRNG seeded by `seed`).
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var out = [UInt8](repeating: 0, count: count)
        for index in out.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            out[index] = UInt8(truncatingIfNeeded: state)
        }
        return out
    }

    private func writeMedia(_ writer: TenantWriter, directory: String, baseName: String, ext: String, bytes: [UInt8],
                            kind: MediaEntry.Kind, id: String, contentType: String) throws -> MediaEntry {
        let temporary = try writer.beginMedia(in: directory, baseName: baseName)
        try DurableFiles.writeAll(temporary.descriptor, bytes, path: writer.describe(temporary))
        let entry = try writer.commitMedia(temporary, fileName: "\(baseName).\(ext)", kind: kind, id: id, sha256: SHA256Hasher.hex(of: bytes),
                                           size: Int64(bytes.count), contentType: contentType)
        files.append(DurableFiles.join(directory, "\(baseName).\(ext)"))
        return entry
    }

    /// A call (sidecar) with `recordings` recordings of `size` bytes each; returns the sidecar's path.
    @discardableResult
    func addCall(_ callId: String, start: String, folder: String = "101", extensionId: String? = "62000001", recordings: Int = 1,
                 size: Int = 2000) throws -> String {
        let startTime = Timestamp(iso8601: start)!
        let writer = try store.openWriter(leaseSeconds: 30)
        defer { writer.close() }
        let directory = DurableFiles.join(folder, ArchiveNames.dayFolder(startTime))
        var record: JSONObject = ["id": .string(callId), "startTime": .string(start), "direction": "Inbound", "result": "Accepted",
                                  "from": ["phoneNumber": "+16505550100"], "to": ["phoneNumber": "+16505550101"]]
        if let extensionId { record["extension"] = ["id": .number(extensionId)] }
        var item: JSONObject = ["tenantId": .string(tenantId), "accountId": "400131000000", "callId": .string(callId)]
        if let extensionId { item["extensionId"] = .string(extensionId) }
        item["extensionFolder"] = .string(folder)
        var sidecar = Sidecar(kind: .call, record: .object(record), item: item, startTime: startTime, archivedAt: startTime.adding(seconds: 60))
        for index in 0..<recordings {
            let recordingId = String(1_662_270_000 + index + Int(startTime.millisecondsSinceEpoch / 1000 % 10_000) * 10)
            let base = try ArchiveNames.recordingBaseName(start: startTime, recordingId: recordingId)
            sidecar.add(try writeMedia(writer, directory: directory, baseName: base, ext: "mp3",
                                       bytes: Self.bytes(size, seed: UInt64(callId.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF }) + UInt64(index) + UInt64(size)),
                                       kind: .recording, id: recordingId, contentType: "audio/mpeg"))
        }
        let relative = DurableFiles.join(directory, try ArchiveNames.callSidecarFile(start: startTime, callId: callId))
        try writer.saveSidecar(sidecar, at: relative, changed: true)
        files.append(relative)
        return relative
    }

    /// A voicemail: sidecar, audio and transcription; returns the sidecar's path.
    @discardableResult
    func addVoicemail(_ messageId: String, created: String, folder: String = "102", size: Int = 1500) throws -> String {
        let time = Timestamp(iso8601: created)!
        let writer = try store.openWriter(leaseSeconds: 30)
        defer { writer.close() }
        let directory = DurableFiles.join(folder, ArchiveNames.dayFolder(time))
        let record: JSONObject = ["id": .number(messageId), "type": "VoiceMail", "creationTime": .string(created),
                                  "from": ["phoneNumber": "+16505550199"]]
        let item: JSONObject = ["tenantId": .string(tenantId), "accountId": "400131000000", "messageId": .string(messageId),
                                "extensionId": "62000002", "extensionFolder": .string(folder)]
        var sidecar = Sidecar(kind: .voicemail, record: .object(record), item: item, startTime: time, archivedAt: time.adding(seconds: 60))
        let base = try ArchiveNames.voicemailBaseName(created: time, messageId: messageId)
        sidecar.add(try writeMedia(writer, directory: directory, baseName: base, ext: "wav", bytes: Self.bytes(size, seed: UInt64(messageId.count)),
                                   kind: .voicemail, id: messageId + "1", contentType: "audio/wav"))
        sidecar.add(try writeMedia(writer, directory: directory, baseName: base, ext: "txt", bytes: Array("Hello, call me back.\n".utf8),
                                   kind: .transcription, id: messageId + "2", contentType: "text/plain"))
        let relative = DurableFiles.join(directory, try ArchiveNames.voicemailSidecarFile(created: time, messageId: messageId))
        try writer.saveSidecar(sidecar, at: relative, changed: true)
        files.append(relative)
        return relative
    }

    /// A tree with calls and voicemails in three extension folders (numeric, `_account`, `id-…`) over
    /// two months, so that the metadata files sort in the middle of the tarball.
    static func standard() throws -> TreeFixture {
        let tree = try TreeFixture()
        try tree.addCall("IVWtSyis720zMEA", start: "2026-11-03T09:15:00.120Z", folder: "101")
        try tree.addCall("IVWtSyis720zMeA", start: "2026-11-03T10:00:00Z", folder: "101", recordings: 2)
        try tree.addCall("noRecording1", start: "2026-11-04T11:00:00Z", folder: "101", recordings: 0)
        try tree.addCall("acct1", start: "2026-11-05T12:00:00Z", folder: "_account", extensionId: nil)
        try tree.addCall("idfolder1", start: "2026-11-06T13:00:00Z", folder: "id-400131034629", extensionId: "400131034629")
        try tree.addVoicemail("9007199254749304", created: "2026-11-07T14:00:00Z", folder: "102")
        try tree.addCall("december1", start: "2026-12-01T00:00:00Z", folder: "101")
        try tree.addCall("october1", start: "2026-10-31T23:59:59.999Z", folder: "101")
        return tree
    }

    func appendTombstone(path: String, kind: ManifestLine.Kind) throws {
        let writer = try store.openWriter(leaseSeconds: 30)
        defer { writer.close() }
        try writer.appendTombstone(Tombstone(path: path, kind: kind, ids: ["callId": "x"], sha256: nil, size: nil, reason: .retention,
                                             rule: "recordings:7y", removedAt: Timestamp.now()))
    }

    /// Overwrites `count` bytes at `offset` (silent corruption: size and name unchanged).
    func flipBytes(_ relative: String, at offset: Int = 100, count: Int = 4) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path(relative)))
        try handle.seek(toOffset: UInt64(offset))
        let original = try handle.read(upToCount: count) ?? Data()
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(original.map { ~$0 }))
        try handle.close()
    }

    func export(_ request: ExportRequest, to file: String, context: ExportContext = ExportContext(), replacing: Bool = false) throws -> ExportSummary {
        try Exporter.export(root: root, request: request, to: .file(path: file, replacing: replacing), context: context)
    }

    func request(_ period: String = "2026-11", format: ExportFormat = .tar) throws -> ExportRequest {
        ExportRequest(tenantId: tenantId, period: try ExportPeriod.parse(period: period), format: format, ringlogVersion: "test")
    }

    func verify(_ configure: (inout VerifyOptions) -> Void = { _ in }) -> VerifyReport {
        var options = VerifyOptions()
        configure(&options)
        return Verifier.verify(store: store, options: options)
    }
}

/// Runs a command line tool; nil when it is not installed.
func runTool(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> (status: Int32, output: String, error: String)? {
    let candidates = ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + executable }
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

func python3Path() -> String? {
    for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    return nil
}
