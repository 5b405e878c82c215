import ArchivePasses
import ArchiveStore
import RinglogSupport
import Testing

@Suite struct PolicyTests {
    @Test func durationsParseAndRefuseWhatCannotBeMeant() throws {
        #expect(try RetentionPeriod(parsing: "7y", field: "f").days == 7 * 365)
        #expect(try RetentionPeriod(parsing: "12w", field: "f").days == 84)
        #expect(try RetentionPeriod(parsing: "30d", field: "f").days == 30)
        #expect(try RetentionPeriod(parsing: "FOREVER", field: "f") == .forever)
        for bad in ["0d", "0y", "-5d", "-1y", "7", "seven years", "7x", "", "d", "1.5y", "2000y"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try RetentionPeriod(parsing: bad, field: "--calls") }
        }
        let zero = try? RetentionPeriod(parsing: "0d", field: "--calls")
        #expect(zero == nil)
        do { _ = try RetentionPeriod(parsing: "-3d", field: "--calls") } catch { #expect("\(error)".contains("negative") && "\(error)".contains("--calls")) }
    }

    @Test func policySetWritesTheFileTheAuditAndRefusesCallsShorterThanRecordings() throws {
        let tenant = try TestTenant()
        // A record must not go before its media: refused, and nothing is written.
        #expect(throws: ConfigurationError.self) {
            try Policy.set(store: tenant.store, changes: .init(calls: "1y", recordings: "2y"), reason: "x", context: tenant.context())
        }
        #expect(throws: ConfigurationError.self) {
            try Policy.set(store: tenant.store, changes: .init(calls: "1y"), reason: "x", context: tenant.context())  // recordings forever
        }
        #expect(throws: ConfigurationError.self) {
            try Policy.set(store: tenant.store, changes: .init(calls: "0d"), reason: "x", context: tenant.context())
        }
        #expect(!tenant.exists("policy.json"))
        #expect(try tenant.auditLines().isEmpty)

        let report = try Policy.set(store: tenant.store, changes: .init(preset: "hipaa"), reason: "HIPAA programme", context: tenant.context())
        #expect(report.lines.contains { $0.contains("45 CFR 164.316(b)(2)") })
        let policy = try #require(try tenant.store.loadPolicy())
        #expect(policy.calls == .period(count: 6, unit: .y) && policy.recordings == policy.calls && policy.voicemails == policy.calls)
        #expect(policy.preset == "hipaa" && policy.trashDays == 7 && policy.reason == "HIPAA programme" && policy.setBy == "tester@host")
        #expect(try Schemas.errors(try JSON.parse(try DurableFiles.read(tenant.store.policyPath)), "policy.schema.json").isEmpty)
        let audit = try tenant.auditLines()
        #expect(audit.count == 1 && audit[0]["action"] == "policy.set" && audit[0]["changes"]?["before"] == .null)
        for line in audit { #expect(try Schemas.errors(line, "audit-line.schema.json").isEmpty) }

        // Changing one figure keeps the others; the same policy again changes nothing.
        _ = try Policy.set(store: tenant.store, changes: .init(recordings: "2y"), reason: "counsel memo", context: tenant.context())
        let changed = try #require(try tenant.store.loadPolicy())
        #expect(changed.recordings == .period(count: 2, unit: .y) && changed.calls == .period(count: 6, unit: .y) && changed.preset == nil)
        let again = try Policy.set(store: tenant.store, changes: .init(recordings: "2y"), reason: "again", context: tenant.context())
        #expect(again.json["changed"] == false)
        #expect(try tenant.auditLines().count == 2)
    }

    @Test func presetsCarryTheirLegalSources() {
        let sources = Dictionary(uniqueKeysWithValues: RetentionPreset.all.map { ($0.name, $0) })
        #expect(sources["hipaa"]?.calls.days == 6 * 365 && sources["hipaa"]!.source.contains("45 CFR 164.316(b)(2)(i)"))
        #expect(sources["sox"]?.calls.days == 7 * 365 && sources["sox"]!.source.contains("17 CFR 210.2-06") && sources["sox"]!.source.contains("1520"))
        #expect(sources["mifid2"]?.recordings.days == 5 * 365 && sources["mifid2"]!.source.contains("Art. 16(7)")
                && sources["mifid2"]!.source.contains("2017/565") && sources["mifid2"]!.source.contains("7 years"))
        #expect(sources["finra"]?.calls.days == 6 * 365 && sources["finra"]!.source.contains("4511") && sources["finra"]!.source.contains("17a-4(b)"))
    }

    @Test func aDamagedPolicyFileStopsPurgeNamingTheFile() throws {
        let tenant = try TestTenant()
        try DurableFiles.writeAtomically(tenant.store.policyPath, Array("{\"format\":\"ringlog-policy\",\"layoutVersion\":1,\"calls\":\"0d\"".utf8))
        do {
            _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
            Issue.record("a damaged policy must stop purge")
        } catch let error as ControlFileError {
            #expect(error.path.hasSuffix("policy.json"))
        }
        try DurableFiles.writeAtomically(tenant.store.policyPath, Array("""
            {"format":"ringlog-policy","layoutVersion":1,"calls":"1d","recordings":"5y","voicemails":"forever","trashDays":7,"reason":"r","setAt":"2026-01-01T00:00:00Z","setBy":"x"}
            """.utf8))
        #expect(throws: ControlFileError.self) { try Purge.run(store: tenant.store, dryRun: true, maxDelete: nil, context: tenant.context()) }
    }
}

@Suite struct HoldTests {
    @Test func holdsAreAppendOnlyEventsAndDamageStopsPurge() throws {
        let tenant = try TestTenant()
        let added = try LegalHolds.add(store: tenant.store, scope: HoldScope(extensionFolder: "101", from: Timestamp(iso8601: "2026-01-01")),
                                       reason: "matter 7", context: tenant.context())
        let id = try #require(added.json["holdId"]?.stringValue)
        #expect(added.lines == [id] && HoldLog.isHoldId(id))
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(), reason: "whole tenant", context: tenant.context())
        _ = try LegalHolds.release(store: tenant.store, id: id, reason: "settled", context: tenant.context())
        let holds = try tenant.store.loadHolds()
        #expect(holds.count == 2 && !holds[0].isActive && holds[1].isActive && holds[1].scope.isWholeTenant)
        let lines = try Schemas.lines(tenant.store.holdsPath)
        #expect(lines.count == 3)
        for line in lines { #expect(try Schemas.errors(line, "hold-event.schema.json").isEmpty, "\(line.serialized())") }
        #expect(try tenant.auditLines().map { $0["action"]?.stringValue ?? "" } == ["hold.add", "hold.add", "hold.release"])
        #expect(throws: ConfigurationError.self) { try LegalHolds.release(store: tenant.store, id: "hold-000000000000", reason: "x", context: tenant.context()) }

        // A torn last line (an append that never completed) is not a hold; a garbage line stops purge.
        let path = tenant.store.holdsPath
        let intact = try DurableFiles.read(path)
        try DurableFiles.writeAtomically(path, intact + Array("{\"event\":\"added\",\"holdId\":\"hold-0".utf8))
        #expect(try tenant.store.loadHolds().count == 2)
        try DurableFiles.writeAtomically(path, intact + Array("not json at all\n".utf8))
        #expect(throws: ControlFileError.self) { try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context()) }
        try DurableFiles.writeAtomically(path, intact + Array("{\"event\":\"added\",\"holdId\":\"hold-aaaaaaaaaaaa\",\"at\":\"2026-01-01T00:00:00Z\",\"scope\":{\"room\":\"5\"}}\n".utf8))
        #expect(throws: ControlFileError.self) { try tenant.store.loadHolds() }
    }

    @Test func holdScopesNarrowEachOther() throws {
        let start = Timestamp(iso8601: "2026-03-31T23:59:59Z")!
        func covers(_ scope: HoldScope, folder: String = "101", _ item: HoldScope.Identity = .call("A")) -> Bool {
            scope.covers(extensionFolder: folder, earliestStart: start, latestStart: start.adding(milliseconds: 999), item: item)
        }
        let to = try LegalHolds.parseBound("2026-03-31", field: "--to", end: true)
        #expect(covers(HoldScope(to: to)), "--to DATE includes its whole day")
        #expect(!covers(HoldScope(to: try LegalHolds.parseBound("2026-03-30", field: "--to", end: true))))
        #expect(covers(HoldScope(from: try LegalHolds.parseBound("2026-03-31", field: "--from", end: false))))
        #expect(!covers(HoldScope(from: try LegalHolds.parseBound("2026-04-01", field: "--from", end: false))))
        #expect(covers(HoldScope(extensionFolder: "101")) && !covers(HoldScope(extensionFolder: "102")))
        #expect(covers(HoldScope(callId: "A")) && !covers(HoldScope(callId: "B")) && !covers(HoldScope(callId: "A"), .message("A")))
        #expect(covers(HoldScope(callId: "A"), .call(nil)), "an item whose call is unknown is kept by a call hold")
        #expect(covers(HoldScope(messageId: "9"), .message("9")) && !covers(HoldScope(messageId: "9"), .call("9")))
        #expect(!covers(HoldScope(extensionFolder: "101", callId: "B")))
        #expect(throws: ConfigurationError.self) { try LegalHolds.parseExtension("../101") }
        #expect(throws: ConfigurationError.self) { try LegalHolds.parseBound("31/03/2026", field: "--to", end: true) }
    }
}
