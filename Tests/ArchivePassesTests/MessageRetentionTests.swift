import ArchivePasses
import ArchiveStore
import RinglogSupport
import Testing

/// Retention, holds and exclusion for every message kind (fax, SMS/MMS, pager, voicemail) and for a
/// recording's RingSense insights (issue 14 point 7; layout-spec §14).
@Suite struct MessageRetentionTests {
    @Test func policySetStoresShowsAndValidatesTheNewKinds() throws {
        let tenant = try TestTenant()
        let report = try Policy.set(store: tenant.store, changes: .init(calls: "6y", recordings: "1y", sms: "3y", faxes: "6y", pager: "30d", insights: "90d"),
                                    reason: "counsel", context: tenant.context())
        #expect(report.lines.joined().contains("insights 90d") && report.lines.joined().contains("sms 3y"), "\(report.lines)")
        let file = try JSON.parse(try DurableFiles.read(tenant.store.path(RetentionPolicy.fileName)))
        #expect(file["sms"]?.stringValue == "3y" && file["faxes"]?.stringValue == "6y" && file["pager"]?.stringValue == "30d"
                && file["insights"]?.stringValue == "90d")
        #expect(try Schemas.errors(file, "policy.schema.json").isEmpty)
        let policy = try #require(try tenant.store.loadPolicy())
        #expect(policy.period(of: .sms) == .period(count: 3, unit: .y) && policy.effectiveInsights == .period(count: 90, unit: .d))
        let shown = try Policy.show(store: tenant.store).lines.joined(separator: "\n")
        #expect(shown.contains("faxes (with documents)    6 years") && shown.contains("sms (SMS/MMS, with media) 3 years")
                && shown.contains("pager (with attachments)  30 days") && shown.contains("insights (RingSense)      90 days"), "\(shown)")
        // `recordings`: insights follow the recordings again (the key leaves the file).
        _ = try Policy.set(store: tenant.store, changes: .init(insights: "recordings"), reason: "r", context: tenant.context())
        #expect(try JSON.parse(try DurableFiles.read(tenant.store.path(RetentionPolicy.fileName)))["insights"] == nil)
        #expect(try Policy.show(store: tenant.store).lines.joined().contains("as recordings (1 year (365 days))"))
        // A record must not go before the insights filed in it; a bad value names its flag.
        #expect { try Policy.set(store: tenant.store, changes: .init(insights: "7y"), reason: "r", context: tenant.context()) } throws: {
            "\($0)".contains("insights (7y)")
        }
        #expect { try Policy.set(store: tenant.store, changes: .init(faxes: "0d"), reason: "r", context: tenant.context()) } throws: { "\($0)".contains("--faxes") }
        #expect { try Policy.set(store: tenant.store, changes: .init(pager: "3"), reason: "r", context: tenant.context()) } throws: { "\($0)".contains("--pager") }
    }

    @Test func aPolicyWrittenBeforeTheNewKindsKeepsThemForeverAndInsightsWithTheRecordings() throws {
        let tenant = try TestTenant()
        let old = #"{"format": "ringlog-policy", "layoutVersion": 1, "calls": "6y", "recordings": "1y", "voicemails": "6y", "trashDays": 7, "reason": "r", "setAt": "2026-01-01T00:00:00Z", "setBy": "a@b"}"#
        try DurableFiles.writeAtomically(tenant.store.path(RetentionPolicy.fileName), Array(old.utf8))
        let policy = try #require(try tenant.store.loadPolicy())
        #expect(policy.sms == .forever && policy.faxes == .forever && policy.pager == .forever && policy.insights == nil)
        #expect(policy.effectiveInsights == .period(count: 1, unit: .y))
    }

    @Test func presetsSetEveryMessageKindAndSayWhereTheirSourceIsSilent() throws {
        let tenant = try TestTenant()
        for (preset, years) in [("hipaa", 6), ("sox", 7), ("mifid2", 5), ("finra", 6)] {
            let report = try Policy.set(store: tenant.store, changes: .init(preset: preset), reason: "preset", context: tenant.context())
            let policy = try #require(try tenant.store.loadPolicy())
            for kind in MessageKind.allCases { #expect(policy.period(of: kind) == .period(count: years, unit: .y), "\(preset) \(kind)") }
            #expect(policy.insights == nil, "\(preset): insights follow the recordings")
            let text = report.lines.joined(separator: "\n")
            #expect(text.contains("messages: ") && text.contains("insights: no preset's source names"), "\(preset): \(text)")
        }
        #expect(RetentionPreset.named("finra")!.messageSource.contains("17a-4(b)(4)"))
        #expect(RetentionPreset.named("hipaa")!.messageSource.contains("names no message kind"))
        #expect(RetentionPreset.named("mifid2")!.messageSource.contains("electronic communications"))
    }

    /// An SMS with a text and an MMS picture, a fax with its document, a pager message, a voicemail:
    /// each by its creation time and its kind's period, sidecar and every attachment together.
    @Test func purgeRemovesEachMessageKindWholeByItsOwnPeriod() throws {
        let tenant = try TestTenant()
        var paths: [String: String] = [:]
        try tenant.write { writer in
            // An attachment of a type ringlog does not know, whose name alone (`.jpg`) would say MMS: its entry says `attachment`.
            let card = TestTenant.Attachment(id: "50013", kind: .attachment, ext: .jpg, type: "Contact", bytes: "photo card")
            paths["oldSMS"] = try tenant.addMessage(kind: .sms, "5001", daysAgo: 40, attachments: [.text("50011"), .picture("50012"), card], writer: writer)
            paths["newSMS"] = try tenant.addMessage(kind: .sms, "5002", daysAgo: 10, writer: writer)
            paths["oldFax"] = try tenant.addMessage(kind: .fax, "5003", daysAgo: 400, writer: writer)
            paths["midFax"] = try tenant.addMessage(kind: .fax, "5004", daysAgo: 200, writer: writer)
            paths["pager"] = try tenant.addMessage(kind: .pager, "5005", daysAgo: 4000, writer: writer)
            paths["voicemail"] = try tenant.addVoicemail("5006", daysAgo: 40, writer: writer)
        }
        let before = tenant.itemFiles()
        _ = try Policy.set(store: tenant.store, changes: .init(voicemails: "30d", sms: "30d", faxes: "1y"), reason: "p", context: tenant.context())
        let report = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        let after = tenant.itemFiles()
        let gone = before.subtracting(after)
        func files(of sidecar: String) -> Set<String> { before.filter { $0.hasPrefix(String(sidecar.dropLast(5))) } }
        #expect(gone == files(of: paths["oldSMS"]!).union(files(of: paths["oldFax"]!)).union(files(of: paths["voicemail"]!)),
                "gone: \(gone.sorted())")
        #expect(files(of: paths["oldSMS"]!).count == 4 && files(of: paths["oldFax"]!).count == 2)
        // Through the trash, as calls go.
        let trashRun = try #require(tenant.store.trashRuns().first)
        for path in gone { #expect(DurableFiles.exists(DurableFiles.join(tenant.store.trashDirectory, trashRun, path)), "\(path) not in the trash") }
        let tombstones = try tenant.tombstones()
        let sms = tombstones.filter { $0.path.contains("_sms.5001") }
        #expect(Set(sms.map(\.kind)) == [.message, .text, .mms, .attachment] && sms.allSatisfy { $0.rule == "sms 30d" && $0.reason == .retention })
        #expect(sms.first { $0.kind == .mms }?.ids["attachmentId"]?.stringValue == "50012", "sync asks tombstones by kind and attachment id")
        #expect(sms.first { $0.kind == .message }?.ids["messageId"]?.stringValue == "5001")
        #expect(Set(tombstones.filter { $0.path.contains("_fax.5003") }.map(\.kind)) == [.message, .document])
        #expect(tombstones.filter { $0.path.contains("_fax.5003") }.allSatisfy { $0.rule == "faxes 1y" })
        #expect(try Schemas.lines(tenant.store.path("tombstones/2026-10.jsonl")).allSatisfy { try Schemas.errors($0, "tombstone.schema.json").isEmpty })
        let audit = try #require(try tenant.auditLines().last { $0["action"]?.stringValue == "purge" })
        #expect(audit["changes"]?["planned"]?["sms"]?.int64Value == 1 && audit["changes"]?["planned"]?["faxes"]?.int64Value == 1
                && audit["changes"]?["planned"]?["voicemails"]?.int64Value == 1 && audit["changes"]?["planned"]?["pager"]?.int64Value == 0)
        #expect(report.json["removed"]?["files"]?.int64Value == 9)
        // Nothing of a kept message was touched; a second purge removes nothing more.
        #expect(after.isSuperset(of: files(of: paths["newSMS"]!).union(files(of: paths["midFax"]!)).union(files(of: paths["pager"]!))))
        let again = try Purge.run(store: tenant.store, dryRun: true, maxDelete: nil, context: tenant.context())
        #expect(again.json["planned"]?["files"]?.int64Value == 0)
    }

    /// Insights shorter than the recording go while the recording stays, and the other way round;
    /// without a period of their own they go with the recordings.
    @Test(arguments: [("90d", "1y", ["insights"]), ("2y", "90d", ["recordings"]), (nil, "90d", ["recordings", "insights"]), ("1y", "1y", [])])
    func insightsFollowTheirOwnPeriod(insights: String?, recordings: String, going: [String]) throws {
        let tenant = try TestTenant()
        var call = "", insightFiles: [String] = []
        try tenant.write { writer in
            call = try tenant.addCall("WithInsights", daysAgo: 100, recordings: ["900"], writer: writer)
            insightFiles = try tenant.addInsights(toCall: call, recordingId: "900", revisions: 2, writer: writer)
        }
        #expect(insightFiles.last!.hasSuffix("_900.insights.r2.json"))
        let recording = DurableFiles.parentDirectory(of: call) + "/" + (try ArchiveNames.recordingFile(start: try tenant.sidecar(call).startTime, recordingId: "900", fileExtension: .mp3))
        _ = try Policy.set(store: tenant.store, changes: .init(calls: "6y", recordings: recordings, insights: insights), reason: "p", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(tenant.exists(call), "the call's record stays")
        #expect(tenant.exists(recording) == !going.contains("recordings"))
        for file in insightFiles { #expect(tenant.exists(file) == !going.contains("insights"), "\(file)") }
        let sidecar = try tenant.sidecar(call)
        #expect(Set(sidecar.removedMedia.map(\.entry.kind.rawValue)) == Set(going.map { $0 == "recordings" ? "recording" : "insights" }))
        let tombstones = try tenant.tombstones()
        if going.contains("insights") {
            let rule = insights.map { "insights \($0)" } ?? "insights \(recordings)"
            #expect(tombstones.filter { $0.kind == .insights }.count == 2)
            #expect(tombstones.filter { $0.kind == .insights }.allSatisfy { $0.rule == rule && $0.ids["recordingId"]?.stringValue == "900" && $0.itemId == "900" })
        }
        if going.isEmpty { #expect(tombstones.isEmpty) }
        // What is on disk is what the schemas say: the call's media and removed media, and the tombstones.
        #expect(try Schemas.errors(JSON.parse(try DurableFiles.read(tenant.store.path(call))), "call-sidecar.schema.json") == [])
        for tombstone in tombstones { #expect(try Schemas.errors(tombstone.json, "tombstone.schema.json") == []) }
        try tenant.store.forEachManifestLine(month: ArchiveNames.monthShard(sidecar.startTime)) { line in
            if line.kind == .insights { #expect(line.mediaId == "900") }
        }
    }

    /// A purge of messages and of insights alone (the recording stays), killed before each durable
    /// step and run again, ends exactly as an uninterrupted one: recovery finishes each removal with
    /// its own rule and kinds (§14.6).
    @Test func aPurgeOfMessagesAndInsightsKilledAtEveryStepEndsAsIfNeverInterrupted() throws {
        let original = try TestTenant()
        try original.write { writer in
            _ = try original.addMessage(kind: .sms, "9001", daysAgo: 40, attachments: [.text("90011"), .picture("90012")], writer: writer)
            _ = try original.addMessage(kind: .fax, "9002", folder: "102", daysAgo: 400, writer: writer)
            let call = try original.addCall("Insightful", daysAgo: 100, recordings: ["901", "902"], writer: writer)
            _ = try original.addInsights(toCall: call, recordingId: "901", revisions: 2, writer: writer)
            let old = try original.addCall("OldCall", daysAgo: 800, recordings: ["903"], writer: writer)
            _ = try original.addInsights(toCall: old, recordingId: "903", writer: writer)
        }
        _ = try Policy.set(store: original.store, changes: .init(calls: "2y", recordings: "1y", sms: "30d", faxes: "1y", insights: "90d"), reason: "p",
                           context: original.context())
        let (steps, expected) = try CrashSafetyTests.reference(original)
        #expect(expected.tombstones.count == 10, "\(expected.tombstones)")
        for crashAt in 1...steps {
            let tenant = try TestTenant(copying: original)
            var crashing = tenant.context()
            crashing.beforeRemovalStep = { step, label in if step == crashAt { throw InjectedCrash(step: step, label: label) } }
            #expect(throws: InjectedCrash.self) { try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing) }
            _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
            let state = try tenant.normalizedState()
            #expect(state.files == expected.files, "crash at step \(crashAt): \(CrashSafetyTests.difference(state.files, expected.files))")
            #expect(state.tombstones == expected.tombstones, "crash at step \(crashAt): \(Set(state.tombstones).symmetricDifference(expected.tombstones))")
        }
    }

    /// A hold keeps a message exactly as it keeps a call: by extension folder, by time range, by
    /// message id; a call-id hold keeps no message. Also in the trash.
    @Test(arguments: [(HoldScope(extensionFolder: "102"), true), (HoldScope(from: Timestamp(iso8601: "2026-10-01T00:00:00Z"), to: Timestamp(iso8601: "2026-10-31T23:59:59.999Z")), true),
                      (HoldScope(messageId: "6001"), true), (HoldScope(messageId: "6999"), false), (HoldScope(callId: "X"), false),
                      (HoldScope(extensionFolder: "101"), false)])
    func holdsKeepMessagesAsTheyKeepCalls(scope: HoldScope, keeps: Bool) throws {
        let tenant = try TestTenant()
        var sms = ""
        try tenant.write { writer in
            sms = try tenant.addMessage(kind: .sms, "6001", folder: "102", start: Timestamp(iso8601: "2026-10-10T08:00:00Z")!,
                                        attachments: [.text("60011"), .picture("60012")], writer: writer)
        }
        let files = tenant.itemFiles()
        #expect(files.count == 3)
        _ = try Policy.set(store: tenant.store, changes: .init(sms: "7d"), reason: "p", context: tenant.context())
        _ = try LegalHolds.add(store: tenant.store, scope: scope, reason: "matter", context: tenant.context())
        let report = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(tenant.exists(sms) == keeps)
        #expect((tenant.itemFiles() == files) == keeps)
        #expect(report.json["held"]?.int64Value == (keeps ? 3 : 0))

        // In the trash: a hold placed after the purge keeps the message from being emptied.
        let trashed = try TestTenant()
        try trashed.write { writer in
            _ = try trashed.addMessage(kind: .fax, "6001", folder: "102", start: Timestamp(iso8601: "2026-10-10T08:00:00Z")!, writer: writer)
        }
        _ = try Policy.set(store: trashed.store, changes: .init(faxes: "7d"), reason: "p", context: trashed.context())
        _ = try Purge.run(store: trashed.store, dryRun: false, maxDelete: nil, context: trashed.context())
        func trashedItems() -> Int { trashed.itemFiles(includingTrash: true).filter { !$0.hasSuffix("/" + TrashRun.fileName) }.count }
        #expect(trashed.itemFiles().isEmpty && trashedItems() == 2)
        _ = try LegalHolds.add(store: trashed.store, scope: scope, reason: "matter", context: trashed.context())
        _ = try Trash.emptyNow(store: trashed.store, runId: nil, dryRun: false, reason: "e", context: trashed.context())
        #expect(trashedItems() == (keeps ? 2 : 0))
    }

    /// §6.7 and §14: a voicemail linked to a call follows its own kind's period; the call stays and
    /// its `archive.message` names a sidecar that a tombstone says is gone.
    @Test func aLinkedVoicemailFollowsItsOwnPeriodAndTheCallKeepsItsLink() throws {
        let tenant = try TestTenant()
        var call = "", voicemail = ""
        try tenant.write { writer in
            call = try tenant.addCall("Caller", daysAgo: 40, recordings: [], writer: writer)
            voicemail = try tenant.addVoicemail("8001", start: try tenant.sidecar(call).startTime.adding(seconds: 30), writer: writer)
            try tenant.link(call: call, message: voicemail, writer: writer)
        }
        _ = try Policy.set(store: tenant.store, changes: .init(calls: "6y", recordings: "6y", voicemails: "30d"), reason: "p", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(tenant.exists(call) && !tenant.exists(voicemail))
        #expect(try tenant.sidecar(call).messageLink?.sidecar == voicemail, "the link is left naming the removed message")
        #expect(try tenant.tombstones().contains { $0.path == voicemail && $0.kind == .message && $0.isRemoval })
    }

    /// A rule matches every number of a message (`from`, each of a group SMS's `to[]`, extension
    /// numbers): exclude apply deletes the message and all its files at once (no trash), with
    /// tombstones; a held one stays; one a purge put in the trash goes from there too.
    @Test func exclusionMatchesEveryNumberOfAMessage() throws {
        let key = [UInt8](repeating: 9, count: 32)
        let tenant = try TestTenant()
        var group = "", fax = "", pager = "", other = "", held = "", trashedPager = ""
        try tenant.write { writer in
            group = try tenant.addMessage(kind: .sms, "7001", daysAgo: 5, from: "+14155550111", to: ["+16505551000", "+1 (866) 555-1234", "+16505552000"],
                                          attachments: [.text("70011"), .picture("70012")], writer: writer)
            fax = try tenant.addMessage(kind: .fax, "7002", daysAgo: 5, from: "18665551234", to: ["+16505551000"], writer: writer)
            pager = try tenant.addMessage(kind: .pager, "7003", folder: "103", daysAgo: 5, from: nil, to: [nil], writer: writer)
            other = try tenant.addMessage(kind: .sms, "7004", daysAgo: 5, writer: writer)
            held = try tenant.addMessage(kind: .sms, "7005", folder: "104", daysAgo: 5, to: ["+18665551234"], writer: writer)
            trashedPager = try tenant.addMessage(kind: .pager, "7006", folder: "103", daysAgo: 50, writer: writer)
        }
        _ = try Policy.set(store: tenant.store, changes: .init(pager: "30d"), reason: "p", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(!tenant.exists(trashedPager) && tenant.itemFiles(includingTrash: true).contains { $0.contains("_pager.7006") })
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(extensionFolder: "104"), reason: "matter", context: tenant.context())
        _ = try Exclusions.add(store: tenant.store, target: .number("866-555-1234"), country: nil, label: nil, reason: "helpline", key: key,
                               context: tenant.context())
        _ = try Exclusions.add(store: tenant.store, target: .extensionNumber("103"), country: nil, label: nil, reason: "ext", key: key, context: tenant.context())
        let dry = try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: true, context: tenant.context())
        #expect(dry.json["planned"]?.int64Value == 7 && dry.json["held"]?.int64Value == 2 && dry.json["trash"]?.int64Value == 2, "\(dry.json)")
        let report = try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: false, context: tenant.context())
        for path in [group, fax, pager] {
            #expect(!tenant.exists(path), "\(path) stays")
            #expect(!tenant.itemFiles(includingTrash: true).contains { $0.hasPrefix(String(path.dropLast(5))) }, "\(path): a file stays (or went to the trash)")
        }
        #expect(tenant.exists(other) && tenant.exists(held), "a message no rule matches, and a held one, stay")
        #expect(!tenant.itemFiles(includingTrash: true).contains { $0.contains("_pager.7006") }, "the trashed pager message is deleted from the trash")
        #expect(report.outcome == .partial, "held files are reported")
        let tombstones = try tenant.tombstones().filter { $0.reason == .exclusion }
        #expect(Set(tombstones.map(\.path)) == Set([group, fax, pager].flatMap { path in
            [path] + (try! tenant.sidecar(path, inTrashOrTombstones: true))
        }), "\(tombstones.map(\.path))")
        #expect(tombstones.allSatisfy { $0.rule.hasPrefix("excl-") })
        // (Hashes and run ids are left out: hex digits may spell "555" by chance.)
        let described = tombstones.map { tombstone -> String in
            var object = tombstone.json.objectValue ?? [:]
            for key in ["sha256", "runId", "rule"] { object[key] = nil }
            return JSON.object(object).serialized()
        }
        #expect(!described.joined().contains("555"), "no number in a tombstone: \(described)")
    }
}

extension TestTenant {
    /// The media paths a message's sidecar listed (read from its tombstoned manifest lines, since the sidecar is gone).
    func sidecar(_ path: String, inTrashOrTombstones: Bool) throws -> [String] {
        var media: [String] = []
        let month = String(path.split(separator: "/")[1].prefix(7))
        try store.forEachManifestLine(month: month) { line in
            if line.isMedia, DurableFiles.parentDirectory(of: line.path) == DurableFiles.parentDirectory(of: path),
                DurableFiles.fileName(of: line.path).hasPrefix(String(DurableFiles.fileName(of: path).dropLast(5)) + ".") {
                media.append(line.path)
            }
        }
        return media
    }
}
