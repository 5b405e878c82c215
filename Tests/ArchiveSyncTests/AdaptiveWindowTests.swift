import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// Backfill windows adapt: an empty window doubles the next, a window that needed more than one list
/// page halves it, and the width reached is kept in the state so a resumed backfill goes on with it.
@Suite struct AdaptiveWindowTests {
    static let syncTime = Timestamp(iso8601: "2026-11-20T23:00:00Z")!

    func calls(days: Int, perDay: Int) -> [JSON] {
        (0..<(days * perDay)).map { index in
            let start = Self.syncTime.adding(seconds: -Double(index) * 86_400 / Double(perDay) - 60)
            return callRecord(id: "Call\(index)", start: start.iso8601)
        }
    }

    /// `--since` five years back over a seven-day account: a few list requests, not sixty.
    @Test func aLongEmptyHistoryCostsAFewRequests() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2021-11-20T00:00:00Z"))
        let source = ScriptedSource(calls: calls(days: 7, perDay: 20), fullSyncCount: 10)
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: SyncOptions()).run()
        #expect(report.counts["calls"] == 140, "\(report.counts) \(report.errors)")
        let listed = source.listed.withLock { $0 }
        #expect(listed.count <= 8, "\(listed.count) list requests for five empty years")
        // Contiguous and complete: every window starts where the last ended, from since to the sync time.
        #expect(listed.first?.0 == tenant.since)
        #expect(zip(listed, listed.dropFirst()).allSatisfy { $0.1 == $1.0 })
        #expect(listed.last.map { $0.1 >= Self.syncTime } == true)
        withExtendedLifetime(scratch) {}
    }

    @Test func aDenseWindowHalvesTheNextAndTheWidthIsResumable() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-10-01T00:00:00Z"))
        // 40 days of 8 calls a day; pages of 40: a 30-day window needs 6 pages.
        let source = ScriptedSource(calls: calls(days: 40, perDay: 8), fullSyncCount: 10, listPageSize: 40)
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: SyncOptions()).run()
        #expect(report.counts["calls"] == 320, "\(report.counts)")
        let windows = Set(source.listed.withLock { $0 }.map { $0.0 })  // one entry per page: distinct starts are windows
        let widths = windows.sorted().map { start in source.listed.withLock { $0 }.first { $0.0 == start }!.1.secondsSinceEpoch - start.secondsSinceEpoch }
        #expect(widths.count >= 3 && widths[0] == 30 * 86_400 && widths[1] == 15 * 86_400, "widths \(widths.map { $0 / 86_400 })")
        withExtendedLifetime(scratch) {}
    }

    @Test func theWindowWidthRoundTripsThroughTheStateFile() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        let store = root.store(for: tenant.tenantId)
        var state = SyncState()
        var range = BackfillRange(from: Self.syncTime.adding(seconds: -86_400 * 400), to: Self.syncTime, cursor: Self.syncTime.adding(seconds: -86_400 * 100))
        range.windowDays = 240
        state.callLog.backfill = range
        let writer = try store.openWriter(leaseSeconds: 60)
        try writer.checkpoint(state: state, pending: PendingQueue())
        writer.close()
        #expect(try store.loadState().callLog.backfill?.windowDays == 240)
        withExtendedLifetime(scratch) {}
    }
}
