import ArchiveStore
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct PermissionTests {
    /// Whatever the umask, archived personal data is 0640 in 0750 directories; a stricter umask still applies.
    @Test(arguments: [(mode_t(0o000), mode_t(0o640), mode_t(0o750)), (mode_t(0o022), mode_t(0o640), mode_t(0o750)),
                      (mode_t(0o077), mode_t(0o600), mode_t(0o700))])
    func filesAndDirectoriesArePrivate(umaskValue: mode_t, file: mode_t, directory: mode_t) throws {
        let scratch = ScratchDirectory()
        let previous = umask(umaskValue)
        defer { umask(previous) }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        let store = root.store(for: tenant.tenantId)
        let writer = try store.openWriter()
        let media = try writer.beginMedia(in: "101/2026-11-20", baseName: "20261120T100000Z_1")
        _ = write(media.descriptor, "ID3", 3)
        let entry = try writer.commitMedia(media, fileName: "20261120T100000Z_1.mp3", kind: .recording, id: "1", sha256: "x", size: 3,
                                           contentType: "audio/mpeg")
        var sidecar = Sidecar(kind: .call, record: ["id": "A"], item: ["callId": "A"], startTime: Timestamp(iso8601: "2026-11-20T10:00:00Z")!,
                              archivedAt: Timestamp.now())
        sidecar.add(entry)
        try writer.saveSidecar(sidecar, at: "101/2026-11-20/20261120T100000Z_call.a.0.json", changed: true)
        var state = SyncState()
        state.callLog.syncToken = "t"
        var pending = PendingQueue()
        pending.pending.append(PendingItem(kind: .recording, mediaId: "2", sidecar: "x", uri: "https://m/2", startTime: Timestamp.now(), attempts: 1,
                                           firstSeenAt: Timestamp.now(), nextAttemptAt: Timestamp.now(), lastError: "", quarantinedAt: nil))
        try writer.checkpoint(state: state, pending: pending)
        try writer.appendRunLine(["runId": "r"])
        writer.close()
        for relative in ["101/2026-11-20/20261120T100000Z_1.mp3", "101/2026-11-20/20261120T100000Z_call.a.0.json", "manifest/2026-11.jsonl",
                         ".ringlog/pending.json", ".ringlog/state.json", "logs/runs.jsonl", "tenant.json"] {
            #expect(DurableFiles.mode(store.path(relative)) == file, "\(relative) has mode \(String(DurableFiles.mode(store.path(relative)) ?? 0, radix: 8))")
        }
        for relative in ["101", "101/2026-11-20", "manifest", ".ringlog", "logs"] {
            #expect(DurableFiles.mode(store.path(relative)) == directory, "\(relative)")
        }
        #expect(DurableFiles.mode(store.directory) == directory)
    }
}

@Suite struct ReaderAndManifestTests {
    @Test func theReaderWalksMonthByMonthDayByDayAndSkipsWhatIsNotAnItem() throws {
        let scratch = ScratchDirectory()
        let tenant = scratch.path
        for path in ["101/2026-11-20/b.json", "101/2026-10-31/20261031T100000Z_call.a.0.json", "_account/2026-11-02/x_1.mp3",
                     "id-77/2026-11-20/a.json", "manifest/2026-11.jsonl", "logs/runs.jsonl", "101/not-a-day/x.json", "notes/2026-11-20/y.json",
                     "101/2026-11-20/.ringlog-tmp.aaaa.1.x"] {
            try DurableFiles.createDirectories(DurableFiles.parentDirectory(of: tenant + "/" + path))
            try DurableFiles.writeAtomically(tenant + "/" + path, [])
        }
        let reader = ArchiveReader(tenantDirectory: tenant)
        #expect(reader.months() == ["2026-10", "2026-11"])
        var seen: [String] = []
        try reader.forEachFile { seen.append($0.relativePath) }
        #expect(seen == ["101/2026-10-31/20261031T100000Z_call.a.0.json", "_account/2026-11-02/x_1.mp3", "101/2026-11-20/b.json",
                         "id-77/2026-11-20/a.json"])
    }

    @Test func aRebuildLeavesTheShardOfAMonthWithAnUnreadableSidecarAsItIs() throws {
        let scratch = ScratchDirectory()
        let tenant = scratch.path
        try DurableFiles.createDirectories(tenant + "/101/2026-11-20")
        try DurableFiles.writeAtomically(tenant + "/101/2026-11-20/20261120T100000Z_call.a.0.json", Array("{\"format\": \"ringlog-call\", ".utf8))
        try DurableFiles.createDirectories(tenant + "/manifest")
        try DurableFiles.writeAtomically(tenant + "/manifest/2026-11.jsonl", Array("{\"kept\":1}\n".utf8))
        var reports: [Manifest.RebuiltShard] = []
        try Manifest.rebuild(tenantDirectory: tenant, write: { try DurableFiles.writeAtomically($0, $1) }) { reports.append($0) }
        #expect(reports.count == 1 && reports[0].unreadable.count == 1)
        #expect("\(reports[0].unreadable[0])".contains("101/2026-11-20/20261120T100000Z_call.a.0.json"))
        #expect(String(decoding: try DurableFiles.read(tenant + "/manifest/2026-11.jsonl"), as: UTF8.self) == "{\"kept\":1}\n")
    }

    @Test func aSidecarOutsideItsFoldersMonthMakesTheMonthUnreadable() throws {
        let scratch = ScratchDirectory()
        let tenant = scratch.path
        try DurableFiles.createDirectories(tenant + "/101/2026-11-20")
        let sidecar = Sidecar(kind: .call, record: ["id": "A"], item: ["callId": "A"], startTime: Timestamp(iso8601: "2026-10-20T10:00:00Z")!,
                              archivedAt: Timestamp.now())
        try DurableFiles.writeAtomically(tenant + "/101/2026-11-20/20261120T100000Z_call.a.0.json", sidecar.bytes)
        try DurableFiles.createDirectories(tenant + "/manifest")
        try DurableFiles.writeAtomically(tenant + "/manifest/2026-11.jsonl", Array("{\"kept\":1}\n".utf8))
        var reports: [Manifest.RebuiltShard] = []
        try Manifest.rebuild(tenantDirectory: tenant, write: { try DurableFiles.writeAtomically($0, $1) }) { reports.append($0) }
        #expect(reports.count == 1 && reports[0].unreadable.count == 1 && "\(reports[0].unreadable[0])".contains("not in its folder's month"))
        #expect(String(decoding: try DurableFiles.read(tenant + "/manifest/2026-11.jsonl"), as: UTF8.self) == "{\"kept\":1}\n")
    }

    @Test func mediaIsAdoptedByAStreamedHash() throws {
        let fixture = try TenantFixture()
        let store = fixture.store
        let writer = try store.openWriter()
        defer { writer.close() }
        let bytes = (0..<(3 << 18)).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // larger than one read
        try DurableFiles.createDirectories(store.path("101/2026-11-20"))
        try DurableFiles.writeAtomically(store.path("101/2026-11-20/20261120T100000Z_1.wav"), bytes)
        let entry = try #require(try writer.adoptMedia(at: "101/2026-11-20/20261120T100000Z_1.wav", kind: .recording, id: "1", contentType: "audio/wav"))
        #expect(entry.sha256 == SHA256Hasher.hex(of: bytes) && entry.size == Int64(bytes.count))
        #expect(try writer.adoptMedia(at: "101/2026-11-20/20261120T100000Z_2.wav", kind: .recording, id: "2", contentType: "audio/wav") == nil)
        // A symlink at a media name (to /dev/zero: hashing would never end) is not media: that item fails, the run does not.
        #expect(symlink("/dev/zero", store.path("101/2026-11-20/20261120T100000Z_3.wav")) == 0)
        #expect(throws: MediaFileError.self) {
            _ = try writer.adoptMedia(at: "101/2026-11-20/20261120T100000Z_3.wav", kind: .recording, id: "3", contentType: "audio/wav")
        }
    }
}

@Suite struct LineCodecTests {
    @Test func tombstonesGoToTheirMonthAndReadBackAsWritten() throws {
        let fixture = try TenantFixture()
        let store = fixture.store
        let writer = try store.openWriter()
        defer { writer.close() }
        let tombstone = Tombstone(path: "101/2026-10-31/20261031T100000Z_1662272004.mp3", kind: .recording,
                                  ids: ["callId": "Abc", "extensionId": "62000001", "recordingId": "1662272004"],
                                  sha256: String(repeating: "a", count: 64), size: 10, reason: .retention, rule: "recordings 90d",
                                  removedAt: Timestamp(iso8601: "2026-12-01T00:00:00.000Z")!)
        try writer.appendTombstone(tombstone)
        var read: [Tombstone] = []
        try store.forEachTombstone(month: "2026-10") { read.append($0) }
        #expect(read == [tombstone])
        #expect(DurableFiles.exists(store.path("tombstones/2026-10.jsonl")))
        let bad = Tombstone(path: "nowhere", kind: .call, ids: [:], sha256: nil, size: nil, reason: .exclusion, rule: "x", removedAt: Timestamp.now())
        #expect(throws: (any Error).self) { try writer.appendTombstone(bad) }
    }
}
