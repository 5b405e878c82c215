import ArchiveStore
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct AppendOnlyTests {
    @Test func aTornLastLineIsRemovedBeforeTheNextAppendAndReported() throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/shard.jsonl"
        try DurableFiles.writeAtomically(path, Array("{\"a\":1}\n{\"kind\":\"call\",\"revisio".utf8))
        let repair = try #require(try DurableFiles.appendLine(path, "{\"b\":2}"))
        #expect(String(decoding: try DurableFiles.read(path), as: UTF8.self) == "{\"a\":1}\n{\"b\":2}\n")
        #expect(repair.removedBytes == 23 && repair.fragment == "{\"kind\":\"call\",\"revisio")
        #expect(try DurableFiles.appendLine(path, "{\"c\":3}") == nil)
    }

    @Test func aCompleteLastLineWithoutItsNewlineIsKept() throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/tenants.jsonl"
        try DurableFiles.writeAtomically(path, Array("{\"a\":1}\n{\"b\":2}".utf8))
        #expect(try DurableFiles.appendLine(path, "{\"c\":3}") == nil)
        #expect(String(decoding: try DurableFiles.read(path), as: UTF8.self) == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n")
    }

    @Test func aFileThatIsOneFragmentBecomesEmptyThenGetsTheLine() throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/runs.jsonl"
        try DurableFiles.writeAtomically(path, Array("{\"runId\":\"x".utf8))
        _ = try DurableFiles.appendLine(path, "{\"d\":4}")
        #expect(String(decoding: try DurableFiles.read(path), as: UTF8.self) == "{\"d\":4}\n")
    }

    @Test func readersSkipAnUnterminatedFragment() throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/x.jsonl"
        try DurableFiles.writeAtomically(path, Array("{\"a\":1}\n\n{\"b\":2}\n{\"c\"".utf8))
        var lines: [String] = []
        try DurableFiles.forEachLine(path) { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines == ["{\"a\":1}", "{\"b\":2}"])
    }

    /// /dev/full answers every write with ENOSPC: the error says "disk full" and names the path.
    @Test func aFullDiskIsNamedAsSuchWithThePath() throws {
        let descriptor = open("/dev/full", O_WRONLY)
        defer { close(descriptor) }
        do {
            try DurableFiles.writeAll(descriptor, [1, 2, 3], path: "/srv/archive/t/manifest/2026-11.jsonl")
            Issue.record("a write to a full disk succeeded")
        } catch {
            #expect(error.code == ENOSPC)
            #expect("\(error)".contains("disk full") && "\(error)".contains("/srv/archive/t/manifest/2026-11.jsonl"), "\(error)")
        }
    }

    /// A symlink planted in the tree must not make ringlog append to a file outside it.
    @Test func anAppendNeverFollowsASymlink() throws {
        let scratch = ScratchDirectory()
        let outside = scratch.path + "/outside.txt"
        try DurableFiles.writeAtomically(outside, Array("precious\n".utf8))
        #expect(symlink(outside, scratch.path + "/runs.jsonl") == 0)
        #expect(throws: ArchiveIOError.self) { try DurableFiles.appendLine(scratch.path + "/runs.jsonl", "{\"a\":1}") }
        #expect(try DurableFiles.read(outside) == Array("precious\n".utf8))
    }

    /// A fenced run's line goes in without repair: the new holder may be writing the "torn" line.
    @Test func aFencedRunsLineNeverTruncatesTheNewHoldersLine() throws {
        let fixture = try TenantFixture()
        let store = fixture.store
        let writer = try store.openWriter()
        defer { writer.close() }
        try writeLease(leaseFile(store.controlDirectory, Int(writer.lease.generation) + 1), holder: "otherhost:7", expiresIn: 600)
        writer.lease.renew()
        #expect(writer.lease.isFenced)
        try DurableFiles.createDirectories(store.path("logs"))
        let partial = Array("{\"runId\":\"new\"}\n{\"runId\":\"new-2\",\"sta".utf8)
        try DurableFiles.writeAtomically(store.path("logs/runs.jsonl"), partial)
        try writer.appendRunLine(["runId": "fenced"])
        #expect(Array(try DurableFiles.read(store.path("logs/runs.jsonl")).prefix(partial.count)) == partial)
        #expect(!DurableFiles.exists(store.path("logs/errors.jsonl")))
    }

    /// A successor that took the tenant between two renewals (a third of the lease apart) is seen at the
    /// next checkpoint: the run's state and pending queue never advance over the new holder's.
    @Test func aCheckpointAfterATakeoverWritesNoStateEvenBeforeTheRenewalSawIt() throws {
        let fixture = try TenantFixture()
        let store = fixture.store
        let writer = try store.openWriter()
        defer { writer.close() }
        var state = SyncState()
        state.callLog.syncToken = "before"
        try writer.checkpoint(state: state, pending: PendingQueue())
        try writeLease(leaseFile(store.controlDirectory, Int(writer.lease.generation) + 1), holder: "otherhost:7", expiresIn: 600)
        let successorsState = try DurableFiles.read(store.statePath)
        state.callLog.syncToken = "after"
        #expect(throws: LeaseError.self) { try writer.checkpoint(state: state, pending: PendingQueue()) }
        #expect(try DurableFiles.read(store.statePath) == successorsState)
        #expect(writer.lease.isFenced, "fenced from then on, as at a renewal")
    }

    @Test func aTornShardIsRepairedByTheWriterAndTheFragmentRecordedInTheErrorLog() throws {
        let fixture = try TenantFixture()
        let store = fixture.store
        let writer = try store.openWriter()
        defer { writer.close() }
        writer.runId = "run-1"
        try DurableFiles.createDirectories(store.path("logs"))
        try DurableFiles.writeAtomically(store.path("logs/runs.jsonl"), Array("{\"runId\":\"old\"}\n{\"runId\":\"torn".utf8))
        try writer.appendRunLine(["runId": "run-1"])
        #expect(String(decoding: try DurableFiles.read(store.path("logs/runs.jsonl")), as: UTF8.self) == "{\"runId\":\"old\"}\n{\"runId\":\"run-1\"}\n")
        let errors = String(decoding: try DurableFiles.read(store.path("logs/errors.jsonl")), as: UTF8.self)
        #expect(errors.contains("runs.jsonl") && errors.contains("torn") && errors.contains("run-1"), "\(errors)")
    }

    @Test func aTornRegistryLineNeitherRefusesCommandsNorGluesTheNextTenant() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let first = try root.addTenant(name: "one", server: "https://platform.example", since: nil)
        let descriptor = open(root.registryPath, O_WRONLY | O_APPEND)
        _ = "{\"event\":\"added\",\"tenantId\":\"ab".withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
        #expect(try root.tenants(selecting: nil).map(\.tenantId) == [first.tenantId], "the fragment is not an event")
        var repairs: [DurableFiles.TailRepair] = []
        let second = try root.addTenant(name: "two", server: "https://platform.example", since: nil) { repairs.append($0) }
        #expect(repairs.count == 1)
        #expect(try root.tenants(selecting: nil).map(\.tenantId) == [first.tenantId, second.tenantId])
    }
}
