import ArchivePasses
import ArchiveStore
import Foundation
import RinglogSupport
import Testing

@Suite struct ExclusionTests {
    let key = [UInt8](repeating: 42, count: 32)

    func matcher(_ tenant: TestTenant, key: [UInt8]? = nil) throws -> ExclusionMatcher {
        try ExclusionMatcher(rules: try tenant.store.loadExclusions(), key: key ?? self.key, keyPath: "key", country: PhoneNumbers.defaultCountry)
    }

    @Test func aRuleMatchesEveryPhoneNumberAnywhereInARecordButNeverAMaskedOne() throws {
        let tenant = try TestTenant()
        _ = try Exclusions.add(store: tenant.store, target: .number("(866) 123-4567"), country: nil, label: "helpline", reason: "works council",
                               key: key, context: tenant.context())
        let rules = try matcher(tenant)
        #expect(rules.match(["from": ["phoneNumber": "+18661234567"]]) != nil)
        #expect(rules.match(["to": ["phoneNumber": "18661234567"]]) != nil)
        #expect(rules.match(["legs": [["to": ["phoneNumber": "+1 866 123 4567"]]]]) != nil, "a leg")
        #expect(rules.match(["legs": [["from": ["name": "x"]], ["forwardedTo": ["party": ["phoneNumber": "866.123.4567 x9"]]]]]) != nil, "forwarding, nested")
        #expect(rules.match(["to": ["dialedPhoneNumber": "8661234567"]]) != nil, "any *phoneNumber key")
        #expect(rules.match(["archive": ["revisions": [["record": ["from": ["phoneNumber": "+18661234567"]]]]]]) != nil, "an earlier revision")
        #expect(rules.match(["from": ["phoneNumber": "+1866123XXXX"]]) == nil, "masked numbers never match")
        #expect(rules.match(["from": ["phoneNumber": "+18661234568"]]) == nil)
        #expect(rules.match(["note": "+18661234567"]) == nil, "only phone-number fields are numbers")
    }

    @Test func prefixAndExtensionRules() throws {
        let tenant = try TestTenant()
        _ = try Exclusions.add(store: tenant.store, target: .prefix("+1 900"), country: nil, label: nil, reason: "premium", key: nil, context: tenant.context())
        _ = try Exclusions.add(store: tenant.store, target: .extensionNumber("250"), country: nil, label: nil, reason: "EAP line", key: nil, context: tenant.context())
        let rules = try matcher(tenant)
        #expect(rules.match(["to": ["phoneNumber": "19005551212"]]) != nil)
        #expect(rules.match(["to": ["phoneNumber": "+19005551212"]]) != nil)
        #expect(rules.match(["to": ["phoneNumber": "+18005551212"]]) == nil)
        #expect(rules.match(["to": ["extensionNumber": "250"]]) != nil)
        #expect(rules.match(["to": ["extensionNumber": "251"]], extensionFolder: "250") != nil, "the item's folder")
        #expect(rules.match(["to": ["extensionNumber": "251"]], extensionFolder: "251") == nil)
        let lines = try Schemas.lines(tenant.store.exclusionsPath)
        for line in lines { #expect(try Schemas.errors(line, "exclusion-event.schema.json").isEmpty, "\(line.serialized())") }
    }

    @Test func nationalNumbersUseTheCountryAndBadNumbersAreRefused() throws {
        let tenant = try TestTenant()
        _ = try Exclusions.add(store: tenant.store, target: .number("020 7946 0958"), country: "GB", label: nil, reason: "GP", key: key, context: tenant.context())
        #expect(try matcher(tenant).match(["from": ["phoneNumber": "+442079460958"]]) != nil)
        #expect(try matcher(tenant).match(["from": ["phoneNumber": "0044 20 7946 0958"]]) != nil)
        for bad in ["+3351234XXXX", "hello", "12345"] {
            #expect(throws: ConfigurationError.self, "\(bad)") {
                try Exclusions.add(store: tenant.store, target: .number(bad), country: nil, label: nil, reason: "x", key: key, context: tenant.context())
            }
        }
        #expect(throws: ConfigurationError.self) {
            try Exclusions.add(store: tenant.store, target: .number("020 7946 0958"), country: "ZZ", label: nil, reason: "x", key: key, context: tenant.context())
        }
        // A label or reason carrying the number is refused: the tree keeps no number in clear.
        #expect(throws: ConfigurationError.self) {
            try Exclusions.add(store: tenant.store, target: .number("+14155550123"), country: nil, label: "Dr Who 415-555-0123", reason: "x", key: key,
                               context: tenant.context())
        }
        // The same number again changes nothing.
        let again = try Exclusions.add(store: tenant.store, target: .number("+44 20 7946 0958"), country: nil, label: nil, reason: "dup", key: key,
                                       context: tenant.context())
        #expect(again.json["changed"] == false)
        // The tenant's country is the default for national forms.
        _ = try TenantSettings.setCountry(store: tenant.store, country: "de", reason: "German office", context: tenant.context())
        #expect(try tenant.store.marker().country == "DE")
        #expect(try Schemas.errors(try JSON.parse(try DurableFiles.read(tenant.store.path("tenant.json"))), "tenant-marker.schema.json").isEmpty)
        let added = try Exclusions.add(store: tenant.store, target: .number("030 1234567"), country: nil, label: nil, reason: "Berlin", key: key,
                                       context: tenant.context())
        #expect(added.json["changed"] == true)
        let german = try ExclusionMatcher(rules: try tenant.store.loadExclusions(), key: key, keyPath: "k", country: try tenant.store.marker().numberingCountry)
        #expect(german.match(["from": ["phoneNumber": "+49301234567"]]) != nil)
    }

    @Test func applyRemovesMatchesAtOnceKeepsHeldOnesAndLeavesNoNumberInClear() throws {
        let tenant = try TestTenant()
        let secret = "+14155550123"
        try tenant.write { writer in
            try tenant.addCall("Plain", daysAgo: 3, recordings: ["1"], writer: writer)
            try tenant.addCall("FromSecret", daysAgo: 3, recordings: ["2"], from: secret, writer: writer)
            try tenant.addCall("LegSecret", folder: "102", daysAgo: 4, legs: [["to": ["phoneNumber": "(415) 555-0123"]]], writer: writer)
            try tenant.addCall("HeldSecret", folder: "103", daysAgo: 4, recordings: ["3"], to: "415.555.0123", writer: writer)
            try tenant.addVoicemail("8001", daysAgo: 2, from: "14155550123", writer: writer)
            try tenant.addVoicemail("8002", daysAgo: 2, from: "+1415555XXXX", writer: writer)
        }
        // An unfiled record with the number, and a purged call of it in the trash.
        let unfiled = try tenant.store.openWriter()
        _ = try unfiled.saveUnfiled(kind: "call", record: ["id": "bad id", "from": ["phoneNumber": .string(secret)]], reason: "test")
        try tenant.addCall("OldSecret", daysAgo: 60, recordings: ["4"], from: secret, writer: unfiled)
        unfiled.close()
        _ = try Policy.set(store: tenant.store, changes: .init(calls: "30d", recordings: "30d"), reason: "p", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(extensionFolder: "103"), reason: "matter", context: tenant.context())
        _ = try Exclusions.add(store: tenant.store, target: .number("415 555 0123"), country: nil, label: "line", reason: "private", key: key,
                               context: tenant.context())
        // Without the key, or with another key, apply refuses and changes nothing.
        let before = tenant.rootSnapshot()
        #expect(throws: ConfigurationError.self) { try Exclusions.apply(store: tenant.store, key: nil, keyPath: "k", dryRun: false, context: tenant.context()) }
        #expect(throws: ConfigurationError.self) {
            try Exclusions.apply(store: tenant.store, key: [UInt8](repeating: 1, count: 32), keyPath: "k", dryRun: false, context: tenant.context())
        }
        #expect(tenant.rootSnapshot() == before)
        let dry = try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: true, context: tenant.context())
        #expect(tenant.rootSnapshot() == before, "a dry run changes nothing")
        #expect(dry.json["planned"]?.int64Value == 6, "\(dry.json)")
        #expect(dry.json["planned"]?.int64Value == 6 && dry.json["held"]?.int64Value == 2 && dry.json["trash"]?.int64Value == 2 && dry.json["unfiled"]?.int64Value == 1)
        let report = try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: false, context: tenant.context())
        #expect(report.outcome == .partial, "held items stay, exit 4")
        let files = tenant.itemFiles(includingTrash: true)
        #expect(files.contains { $0.contains("call.plain") } && files.contains { $0.contains("vm.8002") })
        #expect(!files.contains { $0.contains("call.fromsecret") || $0.contains("call.legsecret") || $0.contains("vm.8001") || $0.contains("call.oldsecret") })
        #expect(files.contains { $0.contains("call.heldsecret") }, "a legal hold keeps it")
        #expect(!files.contains { $0.contains("_2.mp3") || $0.contains("_4.mp3") })
        #expect(DurableFiles.list(tenant.store.path("_unfiled")).allSatisfy { DurableFiles.list(tenant.store.path("_unfiled/" + $0)).isEmpty })
        let tombstones = try tenant.tombstones().filter { $0.reason == .exclusion }
        #expect(tombstones.count == 6 && tombstones.allSatisfy { $0.rule.hasPrefix("excl-") })
        // Nothing under the root holds the number in clear, except the held call.
        let digits = ["4155550123", "415-555-0123", "415.555.0123", "415 555 0123"]
        let enumerator = FileManager.default.enumerator(atPath: tenant.root.path)
        while let relative = enumerator?.nextObject() as? String {
            let path = tenant.root.path + "/" + relative
            guard DurableFiles.isDirectory(path) == false, !relative.contains("call.heldsecret"), let bytes = try? DurableFiles.read(path) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!digits.contains { text.contains($0) }, "\(relative) holds the excluded number")
        }
        for line in try tenant.auditLines() { #expect(try Schemas.errors(line, "audit-line.schema.json").isEmpty, "\(line.serialized())") }
    }

    /// An item a purge moved to the trash, and a hold placed since covers, stays in the trash when an
    /// exclusion matching it is applied (a hold beats an exclusion, in the trash too); without the
    /// hold it goes.
    @Test(arguments: [true, false]) func aHeldItemInTheTrashStaysWhenAnExclusionMatchesIt(held: Bool) throws {
        let tenant = try TestTenant()
        let secret = "+14155550123"
        try tenant.write { writer in
            try tenant.addCall("TrashedSecret", folder: "103", daysAgo: 60, recordings: ["4"], from: secret, writer: writer)
        }
        _ = try Policy.set(store: tenant.store, changes: .init(calls: "30d", recordings: "30d"), reason: "p", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(tenant.itemFiles(includingTrash: true).contains { $0.contains(".trash/") && $0.contains("call.trashedsecret") })
        if held { _ = try LegalHolds.add(store: tenant.store, scope: HoldScope(extensionFolder: "103"), reason: "matter", context: tenant.context()) }
        _ = try Exclusions.add(store: tenant.store, target: .number("415 555 0123"), country: nil, label: "line", reason: "private", key: key,
                               context: tenant.context())
        let dry = try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: true, context: tenant.context())
        #expect(dry.json["trash"]?.int64Value == (held ? 0 : 2) && dry.json["held"]?.int64Value == (held ? 2 : 0), "\(dry.json)")
        let report = try Exclusions.apply(store: tenant.store, key: key, keyPath: "k", dryRun: false, context: tenant.context())
        let files = tenant.itemFiles(includingTrash: true)
        #expect(files.contains { $0.contains("call.trashedsecret") } == held, "\(files)")
        #expect(files.contains { $0.hasSuffix("_4.mp3") } == held, "\(files)")
        #expect((report.outcome == .partial) == held, "held items stay, exit 4")
    }
}
