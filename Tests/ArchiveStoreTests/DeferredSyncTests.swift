@testable import ArchiveStore
import RinglogSupport
import Testing

/// The sync engine's writer defers a sidecar's folder fsync and its manifest lines to `flush()`, which
/// every checkpoint runs first (layout-spec §9.2): the state never covers an item whose lines are not on
/// disk, and the index never forgets a line it was told of, whatever it unloads meanwhile.
@Suite struct DeferredSyncTests {
    static func call(_ id: String, month: Int) -> (Sidecar, String) {
        let day = String(format: "2026-%02d-20", month)
        let start = Timestamp(iso8601: day + "T10:00:00Z")!
        let sidecar = Sidecar(kind: .call, record: ["id": .string(id)], item: ["callId": .string(id), "startTime": .string(start.iso8601)],
                              startTime: start, archivedAt: start.adding(seconds: 60))  // fixed: the same sidecar implies the same lines
        return (sidecar, "101/\(day)/" + String(format: "2026%02d20", month) + "T100000Z_call.\(id.lowercased()).0.json")
    }

    static func shardLines(_ store: TenantStore, month: Int) throws -> [String] {
        var lines: [String] = []
        _ = try DurableFiles.forEachLine(store.path(String(format: "manifest/2026-%02d.jsonl", month))) { lines.append(String(decoding: $0, as: UTF8.self)) }
        return lines
    }

    /// A tenant and a writer set as the sync engine sets it.
    static func deferringWriter() throws -> (TenantFixture, TenantWriter) {
        let fixture = try TenantFixture()
        let writer = try fixture.store.openWriter()
        writer.defersFolderAndManifestSync = true
        return (fixture, writer)
    }

    @Test func linesReachTheShardAtTheCheckpointNotBefore() throws {
        let (fixture, writer) = try Self.deferringWriter()
        defer { writer.close() }
        let (sidecar, path) = Self.call("A", month: 11)
        try writer.saveSidecar(sidecar, at: path, changed: true)
        #expect(!DurableFiles.exists(fixture.store.path(path)), "the sidecar waits in the batch")
        #expect(try Self.shardLines(fixture.store, month: 11).isEmpty, "its manifest line waits")
        #expect(try writer.manifest.callSidecarPath(callId: "A", start: sidecar.startTime) == path, "and the index knows it already")
        #expect(try writer.loadSidecar(path)?.bytes == sidecar.bytes, "a read through the writer commits the batch first")
        #expect(DurableFiles.exists(fixture.store.path(path)))
        #expect(try Self.shardLines(fixture.store, month: 11).isEmpty, "the line still waits for the flush")
        var state = SyncState()
        state.callLog.syncToken = "t"
        try writer.checkpoint(state: state, pending: PendingQueue())
        #expect(try Self.shardLines(fixture.store, month: 11).count == 1)
        #expect(try fixture.store.loadState().callLog.syncToken == "t")
        // The same sidecar again adds nothing; a checkpoint with nothing new writes no line.
        try writer.saveSidecar(sidecar, at: path, changed: false)
        try writer.checkpoint(state: state, pending: PendingQueue())
        #expect(try Self.shardLines(fixture.store, month: 11).count == 1)
    }

    /// More months than the index keeps loaded, each with lines not written yet: none is unloaded (reloading
    /// it from disk would forget its unwritten lines, and the same sidecar met again would write them twice).
    @Test func aShardWithUnwrittenLinesIsNeverUnloaded() throws {
        let (fixture, writer) = try Self.deferringWriter()
        defer { writer.close() }
        let months = Array(1...(Manifest.maximumLoadedShards + 3))
        for month in months {
            let (sidecar, path) = Self.call("M\(month)", month: month)
            try writer.saveSidecar(sidecar, at: path, changed: true)
        }
        for month in months {  // met again before the checkpoint
            let (sidecar, path) = Self.call("M\(month)", month: month)
            #expect(try writer.saveSidecar(sidecar, at: path, changed: false) == 0, "month \(month): nothing new")
        }
        try writer.flush()
        for month in months { #expect(try Self.shardLines(fixture.store, month: month).count == 1, "month \(month)") }
        // Written, they may go: the index stays bounded.
        let (sidecar, path) = Self.call("N", month: 12)
        try writer.saveSidecar(sidecar, at: path, changed: true)
        try writer.flush()
        #expect(try Self.shardLines(fixture.store, month: 1).count == 1)
    }

    /// A message whose lines are not written yet is found by the lookup that reads the shards from disk.
    @Test func unwrittenMessageLinesAreFoundByLocate() throws {
        let (fixture, writer) = try Self.deferringWriter()
        defer { withExtendedLifetime(fixture) { writer.close() } }  // the tenant's scratch directory lives as long as the writer
        let start = Timestamp(iso8601: "2026-11-20T10:00:00Z")!
        let message = Sidecar(kind: .message, record: ["id": "77"], item: ["messageId": "77", "startTime": .string(start.iso8601)],
                              startTime: start, archivedAt: Timestamp.now())
        try writer.saveSidecar(message, at: "101/2026-11-20/20261120T100000Z_sms.77.json", changed: true)
        #expect(try writer.manifest.locateMessages(["77"]) == ["77": "101/2026-11-20/20261120T100000Z_sms.77.json"])
    }

    /// Without the setting (every pass, `reindex`) each line is durable before `saveSidecar` returns.
    @Test func withoutDeferringEachLineIsWrittenAtOnce() throws {
        let fixture = try TenantFixture()
        let writer = try fixture.store.openWriter()
        defer { writer.close() }
        let (sidecar, path) = Self.call("A", month: 11)
        try writer.saveSidecar(sidecar, at: path, changed: true)
        #expect(try Self.shardLines(fixture.store, month: 11).count == 1)
    }
}
