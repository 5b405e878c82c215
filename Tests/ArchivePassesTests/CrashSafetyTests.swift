import ArchivePasses
import ArchiveStore
import Foundation
import RinglogSupport
import Testing

/// A purge (or an exclusion apply) killed before any of its durable steps, then run again, ends in
/// exactly the tree and tombstones of a run never interrupted (run ids aside, which name the trash).
@Suite struct CrashSafetyTests {
    static func populate(_ tenant: TestTenant) throws {
        try tenant.write { writer in
            try tenant.addCall("OldA", daysAgo: 40, recordings: ["10", "11"], writer: writer)
            try tenant.addCall("OldB", folder: "102", daysAgo: 35, recordings: ["12"], from: "+18665551234", writer: writer)
            try tenant.addCall("MidA", daysAgo: 15, recordings: ["20"], writer: writer)
            try tenant.addCall("MidB", folder: "_account", daysAgo: 12, recordings: ["21", "22"], writer: writer)
            try tenant.addCall("Held", folder: "103", daysAgo: 50, recordings: ["30"], writer: writer)
            try tenant.addCall("New", daysAgo: 2, recordings: ["40"], from: "+18665551234", writer: writer)
            try tenant.addVoicemail("7001", daysAgo: 25, writer: writer)
            try tenant.addVoicemail("7002", folder: "102", daysAgo: 22, from: "+18665551234", writer: writer)
        }
        _ = try Policy.set(store: tenant.store, changes: .init(calls: "30d", recordings: "10d", voicemails: "20d"), reason: "p",
                           context: tenant.context())
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(extensionFolder: "103"), reason: "matter", context: tenant.context())
    }

    static func difference(_ actual: [String: String], _ expected: [String: String]) -> String {
        let keys = Set(actual.keys).union(expected.keys).filter { actual[$0] != expected[$0] }
        return keys.sorted().map { "\($0): \(actual[$0] == nil ? "missing" : expected[$0] == nil ? "extra" : "content differs")" }.joined(separator: "; ")
    }

    static func original(trashDays: Int) throws -> TestTenant {
        let tenant = try TestTenant()
        try populate(tenant)
        if trashDays != 7 { _ = try Policy.set(store: tenant.store, changes: .init(trashDays: trashDays), reason: "t", context: tenant.context()) }
        return tenant
    }

    /// Steps of an uninterrupted purge of a copy of `original`, and its final state.
    static func reference(_ original: TestTenant) throws -> (steps: Int, state: (files: [String: String], tombstones: [String])) {
        let tenant = try TestTenant(copying: original)
        var steps = 0
        var context = tenant.context()
        context.beforeRemovalStep = { step, _ in steps = step }
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: context)
        return (steps, try tenant.normalizedState())
    }

    @Test(arguments: [7, 0])
    func aPurgeKilledAtEveryStepEndsAsIfNeverInterrupted(trashDays: Int) throws {
        let original = try Self.original(trashDays: trashDays)
        let (steps, expected) = try Self.reference(original)
        #expect(steps > 20, "the reference run takes \(steps) steps")
        #expect(expected.tombstones.count == 14)
        for crashAt in 1...steps {
            let tenant = try TestTenant(copying: original)
            var crashing = tenant.context()
            var crashLabel = ""
            crashing.beforeRemovalStep = { step, label in if step == crashAt { crashLabel = label; throw InjectedCrash(step: step, label: label) } }
            #expect(throws: InjectedCrash.self, "step \(crashAt)") { try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing) }
            _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
            let state = try tenant.normalizedState()
            #expect(state.files == expected.files, "crash at step \(crashAt) (\(crashLabel)): tree differs: \(Self.difference(state.files, expected.files))")
            #expect(state.tombstones == expected.tombstones,
                    "crash at step \(crashAt) (\(crashLabel)): tombstones differ: \(Set(state.tombstones).symmetricDifference(expected.tombstones))")
            #expect(!DurableFiles.exists(tenant.store.removalJournalPath), "crash at step \(crashAt): journal left")
            #expect(tenant.store.trashRuns().count <= 1, "crash at step \(crashAt): the rerun used another trash folder")
        }
    }

    /// A kill *inside* one of the protocol's atomic writes (§9.1) — `trash.json`, or a kept sidecar's
    /// rewrite — leaves that write's temporary file beside the final name. The rerun must sweep it
    /// there: the run's trash folder and the kept sidecar's item folder are written to by nothing else
    /// (no sync sweeps `.trash`), so a temporary file left there would stay for ever.
    @Test(arguments: [7, 0])
    func aPurgeKilledInsideAnAtomicWriteLeavesNoTemporaryFile(trashDays: Int) throws {
        let original = try Self.original(trashDays: trashDays)
        let (_, expected) = try Self.reference(original)
        var atomicSteps: [Int] = []
        let counting = try TestTenant(copying: original)
        var countingContext = counting.context()
        countingContext.beforeRemovalStep = { step, label in
            if label.hasPrefix("write .trash/") || label.hasPrefix("update ") { atomicSteps.append(step) }
        }
        _ = try Purge.run(store: counting.store, dryRun: false, maxDelete: nil, context: countingContext)
        #expect(atomicSteps.count >= (trashDays > 0 ? 3 : 2), "trash.json and the kept sidecars' rewrites: \(atomicSteps)")
        for crashAt in atomicSteps {
            let tenant = try TestTenant(copying: original)
            var crashing = tenant.context()
            var crashLabel = ""
            crashing.beforeRemovalStep = { step, label in if step == crashAt { crashLabel = label; throw InjectedCrash(step: step, label: label) } }
            #expect(throws: InjectedCrash.self) { try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing) }
            // What SIGKILL between the temporary file's create and its rename leaves (another lease token: the killed run's).
            let relative = crashLabel.hasPrefix("write ") ? String(crashLabel.dropFirst("write ".count)) : String(crashLabel.dropFirst("update ".count))
            let folder = DurableFiles.parentDirectory(of: tenant.directory + "/" + relative)
            try DurableFiles.createDirectories(folder)
            let temporary = try DurableFiles.createTemporary(in: folder, for: DurableFiles.fileName(of: relative), owner: "00000000deadbeef")
            try DurableFiles.writeAll(temporary.descriptor, Array("{\"torn\": true}\n".utf8), path: temporary.path)
            close(temporary.descriptor)
            _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
            let state = try tenant.normalizedState()
            #expect(state.files == expected.files, "killed inside step \(crashAt) (\(crashLabel)): tree differs: \(Self.difference(state.files, expected.files))")
            #expect(state.tombstones == expected.tombstones, "killed inside step \(crashAt) (\(crashLabel)): tombstones differ")
        }
    }

    @Test func twoCrashesInARowStillEndTheSame() throws {
        let original = try Self.original(trashDays: 7)
        let (steps, expected) = try Self.reference(original)
        for first in stride(from: 2, to: steps, by: 5) {
            let tenant = try TestTenant(copying: original)
            for crashAt in [first, 3] {
                var crashing = tenant.context()
                crashing.beforeRemovalStep = { step, label in if step == crashAt { throw InjectedCrash(step: step, label: label) } }
                _ = try? Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing)
            }
            _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
            let state = try tenant.normalizedState()
            #expect(state.files == expected.files && state.tombstones == expected.tombstones, "crashes at \(first) then 3")
        }
    }

    @Test func anExclusionApplyKilledAtEveryStepEndsAsIfNeverInterrupted() throws {
        let key = [UInt8](repeating: 7, count: 32)
        let original = try TestTenant()
        try Self.populate(original)
        _ = try Exclusions.add(store: original.store, target: .number("866-555-1234"), country: nil, label: nil, reason: "helpline", key: key,
                               context: original.context())
        _ = try Purge.run(store: original.store, dryRun: false, maxDelete: nil, context: original.context())  // OldB goes to the trash first
        func prepare() throws -> TestTenant { try TestTenant(copying: original) }
        let reference = try prepare()
        var steps = 0
        var counting = reference.context()
        counting.beforeRemovalStep = { step, _ in steps = step }
        _ = try Exclusions.apply(store: reference.store, key: key, keyPath: "k", dryRun: false, context: counting)
        let expected = try reference.normalizedState()
        #expect(!expected.files.keys.contains { $0.contains("call.oldb") || $0.contains("call.new") || $0.contains("vm.7002") })
        #expect(steps > 5)
        for crashAt in 1...steps {
            let tenant = try prepare()
            var crashing = tenant.context()
            var crashLabel = ""
            crashing.beforeRemovalStep = { step, label in if step == crashAt { crashLabel = label; throw InjectedCrash(step: step, label: label) } }
            #expect(throws: InjectedCrash.self) { try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: false, context: crashing) }
            _ = try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: false, context: tenant.context())
            let state = try tenant.normalizedState()
            #expect(state.files == expected.files, "crash at step \(crashAt) (\(crashLabel)): tree differs: \(Self.difference(state.files, expected.files))")
            #expect(state.tombstones == expected.tombstones,
                    "crash at step \(crashAt) (\(crashLabel)): tombstones differ: \(Set(state.tombstones).symmetricDifference(expected.tombstones))")
        }
    }

    /// A hold placed after a crash and before the rerun keeps what the interrupted run had tombstoned
    /// but not yet removed: its tombstone is withdrawn, so sync and readers see the item as present.
    @Test func aHoldPlacedAfterACrashKeepsWhatWasNotYetRemoved() throws {
        let tenant = try TestTenant()
        try Self.populate(tenant)
        var crashing = tenant.context()
        // Crash right after the first tombstones (journal, trash.json, three tombstones of OldA), before any file moved.
        crashing.beforeRemovalStep = { step, label in if label.hasPrefix("create .trash") || label.hasPrefix("move") { throw InjectedCrash(step: step, label: label) } }
        _ = try? Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing)
        #expect(try tenant.tombstones().contains { $0.ids["callId"] == "OldA" && $0.isRemoval })
        // The interrupted run's journal is there, and matches its schema.
        #expect(try Schemas.errors(try JSON.parse(try DurableFiles.read(tenant.store.removalJournalPath)), "removal-journal.schema.json").isEmpty)
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(callId: "OldA"), reason: "late matter", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(tenant.itemFiles().contains { $0.contains("call.olda") })
        let latest = try tenant.store.tombstoneState(month: ArchiveNames.monthShard(tenant.now.adding(seconds: -40 * 86_400)))
        #expect(latest.values.filter { $0.ids["callId"] == "OldA" }.allSatisfy { !$0.isRemoval })
    }
}
