import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// RingCentral documents ISync as returning "new records"; whether a record comes again when its
/// recording is attached or its result finalised is not documented. The reconcile window re-lists the
/// last hours (and once a day the last days) through the list API, so late recordings are archived
/// whatever ISync does.
@Suite struct ReconcileTests {
    func makeTenant() throws -> (ScratchDirectory, ArchiveRoot, TenantMarker) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        return (scratch, root, tenant)
    }

    /// The sources' sync time is 2026-11-20T23:00:00Z; a call two hours before it gets its recording
    /// after the first run, and ISync never sends the record again.
    @Test(arguments: [(4.0, 0.0, 24.0, true), (0.0, 0.0, 24.0, false), (1.0, 7.0, 0.0, true), (1.0, 7.0, 24.0, false)])
    func aRecordingAttachedLateIsArchivedThroughTheReconcileWindow(hours: Double, deepDays: Double, deepEvery: Double, archived: Bool) throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        var options = SyncOptions()
        options.reconcileHours = hours
        options.deepReconcileDays = deepDays
        options.deepReconcileIntervalHours = deepEvery
        let start = "2026-11-20T21:00:00.000Z"
        let first = ScriptedSource(calls: [callRecord(id: "Late", start: start)], incrementalIsEmpty: true)
        _ = try SyncEngine(root: root, tenant: tenant, source: first, options: options).run()

        let attached = ScriptedSource(calls: [callRecord(id: "Late", start: start, recordingId: "1662272201",
                                                         extra: [("lastModifiedTime", "2026-11-20T22:30:00.000Z")])],
                                      incrementalIsEmpty: true)
        let report = try SyncEngine(root: root, tenant: tenant, source: attached, options: options).run()
        #expect((report.counts["recordings", default: 0] == 1) == archived, "\(report.counts) \(report.errors)")
        #expect((report.counts["callRevisions", default: 0] == 1) == archived)
        let listed = attached.listed.withLock { $0 }
        #expect(listed.count == (hours > 0 || (deepDays > 0 && deepEvery == 0) ? 1 : 0), "one list request for the window: \(listed)")
        if let window = listed.first {
            let span = window.1.secondsSinceEpoch - window.0.secondsSinceEpoch
            let expected = (deepDays > 0 && deepEvery == 0 ? max(hours, deepDays * 24) : hours) * 3600
            #expect(abs(span - expected) < 0.01, "the window spans the configured hours: \(span) s")
        }
    }

    /// A first run lists everything through its backfill: it does not re-list a reconcile window, and
    /// it counts as the day's deep reconcile.
    @Test func aFirstRunSpendsNoExtraListRequest() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let source = ScriptedSource(calls: [callRecord(id: "One")], incrementalIsEmpty: true)
        var options = SyncOptions()
        options.windowDays = 400
        _ = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(source.listed.withLock { $0 }.count == 1, "the backfill's one window, no reconcile")
        #expect(try root.store(for: tenant.tenantId).loadState().callLog.deepReconciledAt != nil)
    }
}

/// RingCentral's 2025 spec limits a sync's `dateFrom` to the last 30 days: a refused `dateFrom` on a
/// full sync is retried without one, and the list covers the history; nothing fails.
@Suite struct FullSyncDateFromTests {
    @Test func aRefusedDateFromIsRetriedWithoutIt() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-01-01T00:00:00Z"))
        let source = ScriptedSource(calls: [callRecord(id: "One")], fullSyncMaximumDays: 30)
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: SyncOptions()).run()
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(try root.store(for: tenant.tenantId).loadState().voicemail["101000"]?.syncToken == "vm")
        withExtendedLifetime(scratch) {}
    }
}
