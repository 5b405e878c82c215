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
        let scratch = ScratchDirectory()
        let path = scratch.path + "/full.jsonl"
        #expect(symlink("/dev/full", path) == 0)
        do {
            _ = try DurableFiles.appendLine(path, "{\"a\":1}")
            Issue.record("an append to a full disk succeeded")
        } catch {
            #expect(error.code == ENOSPC)
            #expect("\(error)".contains("disk full") && "\(error)".contains(path), "\(error)")
        }
    }

    @Test func aTornShardIsRepairedByTheWriterAndTheFragmentRecordedInTheErrorLog() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        let store = root.store(for: tenant.tenantId)
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
