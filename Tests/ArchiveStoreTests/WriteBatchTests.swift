@testable import ArchiveStore
import RinglogSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The sync engine's writer keeps media files and sidecars in a batch and makes them durable together,
/// their fsyncs concurrent (TenantWriter+Batch.swift, layout-spec §9.2): nothing is named before its
/// bytes are durable, no sidecar is named before the media it lists, and a failed commit stops every
/// later write.
@Suite struct WriteBatchTests {
    static let folder = "101/2026-11-20"

    /// A call with one recording, as the engine stages it: the media's bytes in its temporary file, committed
    /// (into the batch), then the sidecar that lists it saved.
    @discardableResult
    static func stage(_ writer: TenantWriter, _ id: String, savingSidecar: Bool = true) throws -> (media: String, sidecar: String, bytes: [UInt8]) {
        let base = "20261120T100000Z_\(id.lowercased())"
        let temporary = try writer.beginMedia(in: folder, baseName: base)
        let audio = Array("audio of \(id)".utf8)
        try DurableFiles.writeAll(temporary.descriptor, audio, path: writer.describe(temporary))
        let entry = try writer.commitMedia(temporary, fileName: base + ".mp3", kind: .recording, id: id, sha256: SHA256Hasher.hex(of: audio),
                                           size: Int64(audio.count), contentType: "audio/mpeg")
        var (sidecar, path) = DeferredSyncTests.call(id, month: 11)
        sidecar.add(entry)
        if savingSidecar { try writer.saveSidecar(sidecar, at: path, changed: true) }
        return (folder + "/" + base + ".mp3", path, sidecar.bytes)
    }

    static func temporaryFiles(_ store: TenantStore) -> [String] {
        DurableFiles.list(store.path(folder)).filter { $0.hasPrefix(ArchiveNames.temporaryPrefix) }
    }

    struct Crash: Error {}

    @Test func nothingIsNamedBeforeTheCommitAndEverythingAfterIt() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        let ids = ["A", "B", "C"]
        let staged = try ids.map { try Self.stage(writer, $0) }
        for item in staged {
            #expect(!DurableFiles.exists(fixture.store.path(item.media)))
            #expect(!DurableFiles.exists(fixture.store.path(item.sidecar)))
        }
        #expect(Self.temporaryFiles(fixture.store).count == 3, "each media file complete under its temporary name")
        try writer.flush()
        for (id, item) in zip(ids, staged) {
            #expect(try DurableFiles.read(fixture.store.path(item.media)) == Array("audio of \(id)".utf8))
            #expect(try DurableFiles.read(fixture.store.path(item.sidecar)) == item.bytes)
        }
        #expect(Self.temporaryFiles(fixture.store).isEmpty)
        #expect(try DeferredSyncTests.shardLines(fixture.store, month: 11).count == 6, "a call line and a recording line each")
    }

    /// A crash between the media's renames and the sidecars': the media are in place (the next run adopts
    /// them, §9.2), no sidecar is, no temporary file is left, and the writer refuses to go on.
    @Test func aCrashBeforeTheSidecarsAreRenamedLeavesMediaOnlyAndStopsTheWriter() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        writer.beforeBatchStep = { step in if step == "rename sidecars" { throw Crash() } }
        let staged = try ["A", "B"].map { try Self.stage(writer, $0) }
        #expect(throws: Crash.self) { try writer.flush() }
        for item in staged {
            #expect(DurableFiles.exists(fixture.store.path(item.media)))
            #expect(!DurableFiles.exists(fixture.store.path(item.sidecar)))
        }
        #expect(Self.temporaryFiles(fixture.store).isEmpty)
        writer.beforeBatchStep = nil
        var state = SyncState()
        state.callLog.syncToken = "t"
        #expect(throws: Crash.self) { try writer.checkpoint(state: state, pending: PendingQueue()) }
        #expect(try fixture.store.loadState().callLog.syncToken == nil, "the state never covers what the failed batch held")
        #expect(try DeferredSyncTests.shardLines(fixture.store, month: 11).isEmpty, "nor does the manifest")
        #expect(throws: Crash.self) { try Self.stage(writer, "C") }
    }

    @Test func aCrashBeforeTheMediaAreRenamedNamesNothing() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        writer.beforeBatchStep = { step in if step == "rename media" { throw Crash() } }
        let staged = try Self.stage(writer, "A")
        #expect(throws: Crash.self) { try writer.flush() }
        #expect(!DurableFiles.exists(fixture.store.path(staged.media)))
        #expect(!DurableFiles.exists(fixture.store.path(staged.sidecar)))
        #expect(Self.temporaryFiles(fixture.store).isEmpty)
    }

    @Test func aSidecarSavedTwiceIsWrittenWithItsLatestBytes() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        let staged = try Self.stage(writer, "A")
        var (revised, path) = DeferredSyncTests.call("A", month: 11)
        _ = revised.update(record: ["id": "A", "result": "Missed"], at: Timestamp.now())
        try writer.saveSidecar(revised, at: path, changed: true)
        #expect(writer.batch.count == 2, "one media file and one sidecar")
        try writer.flush()
        #expect(try DurableFiles.read(fixture.store.path(staged.sidecar)) == revised.bytes)
    }

    /// Each waiting media file keeps a descriptor open: a batch never holds more than `batchLimit` files.
    @Test func aFullBatchCommitsOnItsOwn() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        let first = try Self.stage(writer, "C0")
        for index in 1..<(TenantWriter.batchLimit / 2) {
            try Self.stage(writer, "C\(index)")
            #expect(writer.batch.count < TenantWriter.batchLimit)
        }
        #expect(DurableFiles.exists(fixture.store.path(first.media)))
        #expect(DurableFiles.exists(fixture.store.path(first.sidecar)))
        #expect(writer.batch.isEmpty, "\(TenantWriter.batchLimit / 2) calls of two files each filled it exactly")
        // Media alone (their sidecars not saved yet, as while a call's recordings download) fill it too.
        let media = try (0..<TenantWriter.batchLimit).map { try Self.stage(writer, "M\($0)", savingSidecar: false).media }
        #expect(writer.batch.isEmpty)
        #expect(media.allSatisfy { DurableFiles.exists(fixture.store.path($0)) })
    }

    /// A read of a path the batch holds sees the tree as it will be: the batch is committed first.
    @Test func readsOfAWaitingPathCommitTheBatchFirst() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        let staged = try Self.stage(writer, "A")
        let adopted = try writer.adoptMedia(at: staged.media, kind: .recording, id: "A", contentType: "audio/mpeg")
        #expect(adopted?.sha256 == SHA256Hasher.hex(of: Array("audio of A".utf8)))
        #expect(writer.batch.isEmpty)
        #expect(DurableFiles.exists(fixture.store.path(staged.sidecar)))
    }

    /// A sidecar saved now (a part with no page to flush) drains the batch first: the media it lists may wait there.
    @Test func aSidecarSavedNowCommitsTheBatchBeforeIt() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        let staged = try Self.stage(writer, "A")
        let (other, otherPath) = DeferredSyncTests.call("B", month: 11)
        try writer.saveSidecar(other, at: otherPath, changed: true, durableNow: true)
        #expect(DurableFiles.exists(fixture.store.path(staged.media)))
        #expect(DurableFiles.exists(fixture.store.path(staged.sidecar)))
        #expect(DurableFiles.exists(fixture.store.path(otherPath)))
        #expect(try DeferredSyncTests.shardLines(fixture.store, month: 11).count == 1, "B's line at once; A's wait for the flush")
    }

    /// A run frozen inside a commit past its lease (SIGSTOP) renames nothing more once it runs again: the
    /// lease is checked before each rename, not once per step.
    @Test func aLeaseLostDuringTheRenamesStopsThemAtOnce() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        let staged = try ["A", "B", "C"].map { try Self.stage(writer, $0) }
        var renames = 0
        writer.beforeBatchStep = { step in
            renames += 1
            if renames == 2 { writer.lease.fence("the lease ran out (test)") }
        }
        #expect(throws: LeaseError.self) { try writer.flush() }
        let named = staged.filter { DurableFiles.exists(fixture.store.path($0.media)) }
        #expect(named.count == 1, "the first media file only")
        #expect(staged.allSatisfy { !DurableFiles.exists(fixture.store.path($0.sidecar)) })
        #expect(Self.temporaryFiles(fixture.store).isEmpty)
    }

    /// A waiting media file holds no descriptor (a batch of 128 per tenant, several tenants at once, ran a
    /// run out of them): its temporary file is closed when it joins the batch.
    @Test func aWaitingMediaFileHoldsNoDescriptor() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        defer { writer.close() }
        let temporary = try writer.beginMedia(in: Self.folder, baseName: "20261120T100000Z_a")
        try DurableFiles.writeAll(temporary.descriptor, Array("audio".utf8), path: writer.describe(temporary))
        _ = try writer.commitMedia(temporary, fileName: "20261120T100000Z_a.mp3", kind: .recording, id: "A",
                                   sha256: SHA256Hasher.hex(of: Array("audio".utf8)), size: 5, contentType: "audio/mpeg")
        #expect(!writer.batch.isEmpty)
        // The number may already be another test's descriptor: only pointing at this temporary file is wrong.
        var target = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/fd/\(temporary.descriptor)", &target, target.count - 1)
        let shown = length > 0 ? String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        #expect(!shown.hasSuffix(DurableFiles.fileName(of: writer.describe(temporary))))
        #expect(Self.temporaryFiles(fixture.store).count == 1)
    }

    /// A sidecar that cannot be read because the process is out of descriptors or memory is no fault of the
    /// file: the read stops the sync (`ArchiveIOError`) instead of failing the item.
    @Test func runningOutOfDescriptorsIsTheRunsFailureNotTheSidecars() {
        for code in [EMFILE, ENFILE, ENOMEM] { #expect(TenantStore.outOfResources(code), "\(code)") }
        for code in [EACCES, EIO, EISDIR, ENOENT] { #expect(!TenantStore.outOfResources(code), "\(code)") }
    }

    /// A run that fails before its flush: closing the writer removes what waited; nothing of it was named.
    @Test func closingDiscardsWhatWaits() throws {
        let (fixture, writer) = try DeferredSyncTests.deferringWriter()
        let staged = try Self.stage(writer, "A")
        writer.close()
        #expect(Self.temporaryFiles(fixture.store).isEmpty)
        #expect(!DurableFiles.exists(fixture.store.path(staged.media)))
        #expect(!DurableFiles.exists(fixture.store.path(staged.sidecar)))
    }
}
