import ArchivePasses
import ArchiveStore
import RinglogSupport
import Testing

@Suite struct PurgeTests {
    /// calls 30d, recordings 10d, voicemails 20d.
    func setPolicy(_ tenant: TestTenant, trashDays: Int = 7, maxDelete: Int? = nil) throws {
        _ = try Policy.set(store: tenant.store, changes: .init(calls: "30d", recordings: "10d", voicemails: "20d", trashDays: trashDays, maxDelete: maxDelete),
                           reason: "test policy", context: tenant.context())
    }

    @Test func removesExactlyWhatThePolicyExpiresAndNothingAHoldKeeps() throws {
        let tenant = try TestTenant()
        var paths: [String: String] = [:]
        try tenant.write { writer in
            paths["old"] = try tenant.addCall("OldCall", daysAgo: 40, recordings: ["100"], writer: writer)             // call + recording go
            paths["mid"] = try tenant.addCall("MidCall", daysAgo: 15, recordings: ["200", "201"], writer: writer)      // recordings go, record stays
            paths["new"] = try tenant.addCall("NewCall", daysAgo: 5, recordings: ["300"], writer: writer)              // stays
            paths["held"] = try tenant.addCall("HeldCall", folder: "102", daysAgo: 40, recordings: ["400"], writer: writer)  // hold keeps
            paths["vmOld"] = try tenant.addVoicemail("900001", daysAgo: 25, writer: writer)                            // voicemail goes
            paths["vmNew"] = try tenant.addVoicemail("900002", daysAgo: 19, writer: writer)                            // stays
        }
        try setPolicy(tenant)
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(extensionFolder: "102"), reason: "matter", context: tenant.context())
        let before = tenant.itemFiles()
        let report = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(report.outcome == .done)
        let after = tenant.itemFiles()
        let removed = before.subtracting(after)
        let folder = { (key: String) in DurableFiles.parentDirectory(of: paths[key]!) }
        let expected: Set<String> = [paths["old"]!, folder("old") + "/" + DurableFiles.fileName(of: paths["old"]!).prefix(16) + "_100.mp3",
                                     folder("mid") + "/" + DurableFiles.fileName(of: paths["mid"]!).prefix(16) + "_200.mp3",
                                     folder("mid") + "/" + DurableFiles.fileName(of: paths["mid"]!).prefix(16) + "_201.mp3",
                                     paths["vmOld"]!, String(paths["vmOld"]!.dropLast(5)) + ".wav", String(paths["vmOld"]!.dropLast(5)) + ".txt"]
        #expect(removed == expected, "removed \(removed.sorted())")
        #expect(after.isSubset(of: before))
        // Tombstones: one per removed file, durable, with ids and digests; schema-valid.
        let tombstones = try tenant.tombstones()
        #expect(Set(tombstones.map(\.path)) == expected)
        #expect(tombstones.allSatisfy { $0.reason == .retention && $0.sha256?.count == 64 && $0.size != nil && $0.runId != nil })
        #expect(tombstones.first { $0.kind == .recording && $0.ids["recordingId"] == "100" }?.ids["callId"] == "OldCall")
        for line in tombstones { #expect(try Schemas.errors(line.json, "tombstone.schema.json").isEmpty, "\(line.json.serialized())") }
        // The kept call records what went, under archive.removedMedia; manifest lines stay.
        let mid = try tenant.sidecar(paths["mid"]!)
        #expect(mid.media.isEmpty && Set(mid.removedMedia.map(\.entry.id)) == ["200", "201"] && mid.removedMedia.allSatisfy { $0.rule == "recordings 10d" })
        let midJSON = try JSON.parse(try DurableFiles.read(tenant.store.path(paths["mid"]!)))
        #expect(try Schemas.errors(midJSON, "call-sidecar.schema.json").isEmpty)
        // Everything removed is in the trash run, with its trash.json.
        let runId = try #require(report.json["runId"]?.stringValue)
        for path in expected { #expect(DurableFiles.exists(tenant.store.trashDirectory + "/" + runId + "/" + path), "\(path) in the trash") }
        let trashJSON = try JSON.parse(try DurableFiles.read(tenant.store.trashDirectory + "/" + runId + "/trash.json"))
        #expect(try Schemas.errors(trashJSON, "trash-run.schema.json").isEmpty)
        #expect(!DurableFiles.exists(tenant.store.removalJournalPath), "the journal is gone after a finished run")
        // The audit line counts what happened.
        let audit = try #require(try tenant.auditLines().last)
        #expect(audit["action"] == "purge" && audit["changes"]?["decision"] == "ran" && audit["changes"]?["removed"]?.int64Value == 7)
        #expect(audit["changes"]?["held"]?.int64Value == 2 && audit["changes"]?["holds"]?.arrayValue?.count == 1)
        // A second purge finds nothing more.
        let second = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(second.json["removed"]?["files"]?.int64Value == 0)
        // Reindex keeps the manifest lines of what went (history); reindexing changes nothing.
        var differences = 0
        try Manifest.rebuild(tenantDirectory: tenant.directory, write: nil) { shard in
            let current = (try? Manifest.currentLines(tenantDirectory: tenant.directory, month: shard.month)) ?? []
            differences += Set(shard.lines).symmetricDifference(current).count
        }
        #expect(differences == 0)
    }

    @Test func theGuardRefusesABigRunAndRemovesNothing() throws {
        let tenant = try TestTenant()
        try tenant.write { writer in for index in 0..<6 { try tenant.addCall("Call\(index)", daysAgo: 40 + Double(index), writer: writer) } }
        try setPolicy(tenant, maxDelete: 5)
        let before = tenant.itemFiles()
        let report = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(report.outcome == .refused)
        #expect(report.lines.joined().contains("6 files") && report.lines.joined().contains("--max-delete 6"))
        #expect(try tenant.itemFiles() == before && tenant.tombstones().isEmpty)
        #expect(try tenant.auditLines().last?["changes"]?["decision"] == "refused")
        // --max-delete raises the guard for one run.
        let allowed = try Purge.run(store: tenant.store, dryRun: false, maxDelete: 6, context: tenant.context())
        #expect(allowed.outcome == .done && tenant.itemFiles().isEmpty)
    }

    @Test func aDryRunChangesNoByteAnywhereUnderTheRoot() throws {
        let tenant = try TestTenant()
        try tenant.write { writer in
            try tenant.addCall("OldCall", daysAgo: 40, recordings: ["100"], writer: writer)
            try tenant.addVoicemail("900001", daysAgo: 25, writer: writer)
        }
        try setPolicy(tenant)
        // An interrupted run's journal and a torn log line: a dry run must not finish or repair either.
        try DurableFiles.appendLine(tenant.store.auditPath, "{\"at\":\"2026-01-01T00:00:00Z\"}")
        let audit = try DurableFiles.read(tenant.store.auditPath)
        try DurableFiles.writeAtomically(tenant.store.auditPath, audit + Array("{\"torn".utf8))
        let before = tenant.rootSnapshot()
        var planned: [String] = []
        let report = try Purge.run(store: tenant.store, dryRun: true, maxDelete: nil, context: tenant.context()) { path, _ in planned.append(path) }
        #expect(planned.count == 5 && report.json["planned"]?["files"]?.int64Value == 5)
        #expect(tenant.rootSnapshot() == before, "a dry run changed something")
        let apply = try Exclusions.apply(store: tenant.store, key: nil, keyPath: "/none", dryRun: true, context: tenant.context())
        #expect(apply.outcome == .done)
        #expect(tenant.rootSnapshot() == before)
    }

    @Test func noPolicyKeepsEverythingAndSaysSo() throws {
        let tenant = try TestTenant()
        try tenant.write { writer in try tenant.addCall("Ancient", daysAgo: 4000, recordings: ["1"], writer: writer) }
        let report = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(report.lines.first?.contains("no retention policy") == true && report.lines.first?.contains("kept forever") == true)
        #expect(tenant.itemFiles().count == 2)
    }

    @Test func trashExpiresRespectsHoldsAndRestores() throws {
        let tenant = try TestTenant()
        var kept = ""
        try tenant.write { writer in
            try tenant.addCall("Gone", daysAgo: 40, recordings: ["1"], writer: writer)
            kept = try tenant.addCall("Kept", daysAgo: 15, recordings: ["2"], writer: writer)
        }
        try setPolicy(tenant, trashDays: 3)
        let first = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        let runId = try #require(first.json["runId"]?.stringValue)
        #expect(tenant.itemFiles() == [kept])
        // Restore puts everything back, media entries included, and the tombstones say so.
        let restored = try Trash.restore(store: tenant.store, runId: runId, reason: "oops", context: tenant.context())
        #expect(restored.json["restored"]?.int64Value == 3)
        #expect(tenant.itemFiles().count == 4)
        #expect(try tenant.sidecar(kept).media.map(\.id) == ["2"] && (try tenant.sidecar(kept)).removedMedia.isEmpty)
        #expect(try tenant.tombstones().filter { $0.restoredAt != nil }.count == 3)
        #expect(!DurableFiles.exists(tenant.store.trashDirectory + "/" + runId), "an emptied trash run folder goes")
        // Purge again, hold the old call, and let the trash expire: the held file stays in the trash.
        let second = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        let secondRun = try #require(second.json["runId"]?.stringValue)
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(callId: "Gone"), reason: "matter", context: tenant.context())
        let later = tenant.now.adding(seconds: 4 * 86_400)
        let third = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context(later))
        #expect(third.json["trashEmptied"]?.int64Value == 1, "the unheld recording of Kept is emptied")
        let left = tenant.itemFiles(includingTrash: true).filter { $0.hasPrefix(".trash/") }
        #expect(left.count == 3 && left.allSatisfy { $0.hasPrefix(".trash/\(secondRun)/") } && left.contains { $0.hasSuffix("trash.json") })
        #expect(try Trash.emptyNow(store: tenant.store, runId: nil, dryRun: false, reason: "clean", context: tenant.context(later)).outcome == .partial)
        #expect(tenant.itemFiles(includingTrash: true).filter { $0.hasPrefix(".trash/") }.count == 3, "trash empty keeps held files")
    }

    @Test func trashDaysZeroDeletesAtOnce() throws {
        let tenant = try TestTenant()
        try tenant.write { writer in try tenant.addCall("Gone", daysAgo: 40, recordings: ["1"], writer: writer) }
        try setPolicy(tenant, trashDays: 0)
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(tenant.itemFiles(includingTrash: true).isEmpty)
        #expect(try tenant.tombstones().count == 2)
    }

    @Test func timeIsCountedFromTheStartAndNeverEarly() throws {
        let tenant = try TestTenant()
        // Started exactly 30 days before now (to the millisecond) and half a second later.
        let exactly = tenant.now.adding(seconds: -30 * 86_400)
        try tenant.write { writer in
            try tenant.addCall("Exactly", start: exactly.adding(milliseconds: -1000), writer: writer)
            try tenant.addCall("JustAfter", folder: "102", start: exactly.adding(milliseconds: 500), writer: writer)
        }
        try setPolicy(tenant)
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        let left = tenant.itemFiles()
        #expect(left.count == 1 && left.first?.hasPrefix("102/") == true)
    }
}
