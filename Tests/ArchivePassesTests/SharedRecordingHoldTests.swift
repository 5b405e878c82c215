import ArchivePasses
import ArchiveStore
import RinglogSupport
import Testing

/// A recording shared by two call records (an internal call's caller and callee) is stored once,
/// with call A; call B lists it with `storedWith` (layout-spec §6.6). A hold on B must keep it (§14.2).
@Suite struct SharedRecordingHoldTests {
    struct Pair {
        let a: String
        let b: String
        let recording: String
        let bStart: Timestamp
    }

    /// A in extension 101 holds recording 500; B in 102, two hours later, references it.
    func makePair(_ tenant: TestTenant, daysAgo: Double) throws -> Pair {
        let aStart = tenant.now.adding(seconds: -daysAgo * 86_400)
        let bStart = aStart.adding(seconds: 7200)
        var pair: Pair!
        try tenant.write { writer in
            let a = try tenant.addCall("CallA", folder: "101", start: aStart, recordings: ["500"], from: "+14155550100", writer: writer)
            let b = try tenant.addCall("CallB", folder: "102", start: bStart, from: "+16505552000", writer: writer)
            var sidecarA = try tenant.sidecar(a)
            _ = sidecarA.setRecordings([Sidecar.ReferencedRecording(id: "500")])
            try writer.saveSidecar(sidecarA, at: a, changed: true)
            var sidecarB = try tenant.sidecar(b)
            _ = sidecarB.setRecordings([Sidecar.ReferencedRecording(id: "500", storedWith: a)])
            try writer.saveSidecar(sidecarB, at: b, changed: true)
            let recording = DurableFiles.parentDirectory(of: a) + "/" + DurableFiles.fileName(of: a).prefix(16) + "_500.mp3"
            pair = Pair(a: a, b: b, recording: recording, bStart: bStart)
        }
        #expect(tenant.exists(pair.recording))
        return pair
    }

    /// calls 30d, recordings 10d.
    func setPolicy(_ tenant: TestTenant, trashDays: Int = 7) throws {
        _ = try Policy.set(store: tenant.store, changes: .init(calls: "30d", recordings: "10d", voicemails: "20d", trashDays: trashDays),
                           reason: "test policy", context: tenant.context())
    }

    enum Scope: String, CaseIterable { case callId, extensionFolder, dateRange }

    func holdOnB(_ tenant: TestTenant, _ pair: Pair, _ scope: Scope) throws -> String {
        let holdScope = switch scope {
        case .callId: HoldScope(callId: "CallB")
        case .extensionFolder: HoldScope(extensionFolder: "102")
        case .dateRange: HoldScope(from: pair.bStart.adding(seconds: -60), to: pair.bStart.adding(seconds: 60))
        }
        let added = try LegalHolds.add(store: tenant.store, scope: holdScope, reason: "matter B", context: tenant.context())
        return try #require(added.json["holdId"]?.stringValue)
    }

    @Test(arguments: Scope.allCases, [15.0, 40.0])
    func aHoldOnTheReferencingCallKeepsTheRecordingStoredWithAnother(scope: Scope, daysAgo: Double) throws {
        // 15 days: only the recordings expire; 40 days: the call records too.
        let tenant = try TestTenant()
        let pair = try makePair(tenant, daysAgo: daysAgo)
        try setPolicy(tenant)
        let hold = try holdOnB(tenant, pair, scope)
        let before = tenant.itemFiles()
        let dry = try Purge.run(store: tenant.store, dryRun: true, maxDelete: nil, context: tenant.context())
        #expect(dry.json["planned"]?["recordings"]?.int64Value == 0, "\(dry.lines)")
        let report = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(report.outcome == .done)
        #expect(tenant.itemFiles() == before, "removed \(before.subtracting(tenant.itemFiles()).sorted())")
        #expect(tenant.exists(pair.recording) && tenant.exists(pair.a) && tenant.exists(pair.b))
        #expect(try tenant.sidecar(pair.a).media.map(\.id) == ["500"], "A's sidecar still lists the audio B's storedWith points to")
        #expect(try tenant.tombstones().isEmpty)
        let audit = try #require(try tenant.auditLines().last)
        #expect(audit["changes"]?["holds"]?.arrayValue == [.string(hold)])

        // Released: the next purge removes what the policy expires, as for any other call.
        _ = try LegalHolds.release(store: tenant.store, id: hold, reason: "settled", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(!tenant.exists(pair.recording))
        #expect(tenant.exists(pair.a) == (daysAgo < 30) && tenant.exists(pair.b) == (daysAgo < 30))
    }

    @Test func withoutAHoldTheSharedRecordingGoesAsBefore() throws {
        let tenant = try TestTenant()
        let pair = try makePair(tenant, daysAgo: 15)
        try setPolicy(tenant)
        // A hold that covers neither call changes nothing for them.
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(extensionFolder: "999"), reason: "other matter", context: tenant.context())
        let report = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(report.outcome == .done)
        #expect(!tenant.exists(pair.recording) && tenant.exists(pair.a) && tenant.exists(pair.b))
        #expect(try tenant.tombstones().map(\.path) == [pair.recording])
        #expect(try tenant.sidecar(pair.a).removedMedia.map(\.entry.id) == ["500"])
    }

    @Test func aHoldPlacedAfterThePurgeKeepsTheSharedRecordingInTheTrash() throws {
        let tenant = try TestTenant()
        let pair = try makePair(tenant, daysAgo: 15)
        try setPolicy(tenant)
        let purge = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        let runId = try #require(purge.json["runId"]?.stringValue)
        let trashed = tenant.store.trashDirectory + "/" + runId + "/" + pair.recording
        #expect(DurableFiles.exists(trashed))
        let hold = try holdOnB(tenant, pair, .callId)
        let later = tenant.now.adding(seconds: 30 * 86_400)
        // Neither emptying at once nor a later purge's expiry deletes it while B's hold stands.
        let now = try Trash.emptyNow(store: tenant.store, runId: nil, dryRun: false, reason: "clean", context: tenant.context(later))
        #expect(now.outcome == .partial && now.json["held"]?.int64Value == 1)
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context(later))
        #expect(DurableFiles.exists(trashed))
        _ = try LegalHolds.release(store: tenant.store, id: hold, reason: "settled", context: tenant.context(later))
        _ = try Trash.emptyNow(store: tenant.store, runId: nil, dryRun: false, reason: "clean", context: tenant.context(later))
        #expect(!DurableFiles.exists(trashed))
    }

    /// Exclusion wins for what involves the excluded number: A's stored recording goes although B
    /// (not excluded) references it; only a hold on B keeps it (a hold beats an exclusion, §14.3).
    @Test func exclusionRemovesTheExcludedCallsRecordingUnlessAHoldOnTheReferencingCallKeepsIt() throws {
        for held in [true, false] {
            let tenant = try TestTenant()
            let pair = try makePair(tenant, daysAgo: 5)
            _ = try Exclusions.add(store: tenant.store, target: .extensionNumber("101"), country: nil, label: nil, reason: "EAP line", key: nil,
                                   context: tenant.context())
            if held { _ = try holdOnB(tenant, pair, .callId) }
            let report = try Exclusions.apply(store: tenant.store, key: nil, keyPath: "", dryRun: false, context: tenant.context())
            #expect(report.outcome == (held ? .partial : .done), "\(report.lines)")
            #expect(tenant.exists(pair.recording) == held && tenant.exists(pair.a) == held)
            #expect(tenant.exists(pair.b), "B matches no rule")
        }
    }

    /// Killed at every durable step, then run again: the same tree and tombstones as a run never
    /// interrupted, and B's hold still keeps the audio stored with A.
    @Test func aPurgeKilledAtEveryStepEndsAsIfNeverInterruptedAndKeepsTheSharedRecording() throws {
        let original = try TestTenant()
        let pair = try makePair(original, daysAgo: 40)
        try original.write { writer in
            try original.addCall("Other", folder: "101", daysAgo: 35, recordings: ["600"], writer: writer)
            try original.addCall("Mid", folder: "103", daysAgo: 15, recordings: ["700"], writer: writer)
        }
        try setPolicy(original)
        _ = try holdOnB(original, pair, .extensionFolder)
        let reference = try TestTenant(copying: original)
        var steps = 0
        var counting = reference.context()
        counting.beforeRemovalStep = { step, _ in steps = step }
        _ = try Purge.run(store: reference.store, dryRun: false, maxDelete: nil, context: counting)
        let expected = try reference.normalizedState()
        #expect(reference.exists(pair.recording) && reference.exists(pair.a) && steps > 5)
        for crashAt in 1...steps {
            let tenant = try TestTenant(copying: original)
            var crashing = tenant.context()
            crashing.beforeRemovalStep = { step, label in if step == crashAt { throw InjectedCrash(step: step, label: label) } }
            #expect(throws: InjectedCrash.self) { try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing) }
            _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
            let state = try tenant.normalizedState()
            #expect(state.files == expected.files && state.tombstones == expected.tombstones, "crash at step \(crashAt)")
            #expect(tenant.exists(pair.recording), "crash at step \(crashAt)")
        }
    }

    /// A hold on B placed after a crash that had tombstoned A's recording (not yet moved): the rerun
    /// withdraws the tombstone and keeps the file.
    @Test func aHoldOnTheReferencingCallPlacedAfterACrashKeepsTheRecording() throws {
        let tenant = try TestTenant()
        let pair = try makePair(tenant, daysAgo: 15)
        try setPolicy(tenant)
        var crashing = tenant.context()
        crashing.beforeRemovalStep = { step, label in if label.hasPrefix("create .trash") || label.hasPrefix("move") { throw InjectedCrash(step: step, label: label) } }
        _ = try? Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing)
        #expect(try tenant.tombstones().contains { $0.path == pair.recording && $0.isRemoval })
        #expect(tenant.exists(pair.recording))
        _ = try holdOnB(tenant, pair, .callId)
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(tenant.exists(pair.recording))
        #expect(try tenant.sidecar(pair.a).media.map(\.id) == ["500"])
        let latest = try tenant.store.tombstoneState(month: ArchiveNames.monthShard(tenant.now.adding(seconds: -15 * 86_400)))
        #expect(latest.values.filter { $0.path == pair.recording }.allSatisfy { !$0.isRemoval })
        #expect(!DurableFiles.exists(tenant.store.removalJournalPath))
    }
}
