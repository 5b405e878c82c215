import ArchivePasses
import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// Detailed call-log records as RingCentral sends them: recordings on non-master legs, one recording
/// repeated on every leg, transfers (several records, one `telephonySessionId`, each with its own
/// recording or sharing one), `extension` only on the legs, and extensions that share a number.
@Suite struct LegsAndSessionsTests {
    func makeTenant() throws -> (ScratchDirectory, ArchiveRoot, TenantMarker, SyncOptions) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        return (scratch, root, tenant, options)
    }

    static func recording(_ id: String) -> JSON {
        ["uri": .string("https://platform.example/recording/\(id)"), "id": .string(id), "type": "Automatic",
         "contentUri": .string("https://media.example:443/restapi/v1.0/account/1/recording/\(id)/content")]
    }

    static func leg(extensionId: String?, master: Bool = false, recording: JSON? = nil) -> JSON {
        var object: JSONObject = ["startTime": "2026-11-19T15:00:00.000Z", "type": "Voice", "direction": "Inbound", "legType": "Accept"]
        if master { object["master"] = true }
        if let extensionId { object["extension"] = ["id": .number(extensionId), "uri": "https://platform.example/extension/x"] }
        if let recording { object["recording"] = recording }
        return .object(object)
    }

    /// A record without a top-level `extension` (as in RingCentral's own Detailed sample).
    static func legsOnlyRecord(id: String, start: String, session: String, legs: [JSON], recording: JSON? = nil) -> JSON {
        var object: JSONObject = ["uri": "https://platform.example/call-log/x", "id": .string(id), "sessionId": "1",
                                  "startTime": .string(start), "type": "Voice", "direction": "Inbound", "action": "Phone Call",
                                  "result": "Accepted", "telephonySessionId": .string(session)]
        if let recording { object["recording"] = recording }
        object["legs"] = .array(legs)
        return .object(object)
    }

    func sidecar(_ root: ArchiveRoot, _ tenant: TenantMarker, callId: String) throws -> JSON {
        let directory = root.tenantDirectory(tenant.tenantId)
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".json"), path.contains("_call.\(callId.lowercased())") {
                return try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + path))))
            }
        }
        throw ConfigurationError("no sidecar for call \(callId)")
    }

    func files(_ root: ArchiveRoot, _ tenant: TenantMarker, containing fragment: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root.tenantDirectory(tenant.tenantId))
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.contains(fragment) && !path.hasPrefix(".ringlog") { found.append(path) }
        }
        return found
    }

    @Test func aTransferSharingOneRecordingStoresItOnceAndEveryRecordSaysWhere() throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let session = "s-transfer-1"
        let calls = [
            // First record: the recording only on a non-master leg, the extension only on the legs.
            Self.legsOnlyRecord(id: "TransferA", start: "2026-11-19T15:00:00.000Z", session: session,
                                legs: [Self.leg(extensionId: "101000", master: true), Self.leg(extensionId: "102000", recording: Self.recording("1662272101"))]),
            // Second record of the transfer: its own recording, and the first one's again.
            Self.legsOnlyRecord(id: "TransferB", start: "2026-11-19T15:03:00.000Z", session: session,
                                legs: [Self.leg(extensionId: "102000", master: true, recording: Self.recording("1662272102")),
                                       Self.leg(extensionId: "101000", recording: Self.recording("1662272101"))]),
            // One recording repeated on every leg and at the top: one file, one media entry.
            Self.legsOnlyRecord(id: "Repeated", start: "2026-11-19T16:00:00.000Z", session: "s-2",
                                legs: [Self.leg(extensionId: "101000", master: true, recording: Self.recording("1662272103")),
                                       Self.leg(extensionId: "101000", recording: Self.recording("1662272103"))],
                                recording: Self.recording("1662272103")),
        ]
        let extensions: [JSON] = [["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"],
                                  ["id": 102_000, "extensionNumber": "102", "type": "User", "status": "Enabled"]]
        let source = ScriptedSource(calls: calls, extensions: extensions)
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(report.counts["itemErrors", default: 0] == 0, "\(report.errors)")
        #expect(report.counts["recordings"] == 3, "three distinct recordings")
        #expect(files(root, tenant, containing: "_1662272101.").count == 1, "the shared recording is stored once")
        #expect(files(root, tenant, containing: "_1662272103.").count == 1)
        #expect(source.downloaded.withLock { $0 }.filter { $0.contains("1662272101") }.count == 1, "and downloaded once")

        let first = try sidecar(root, tenant, callId: "TransferA")
        let second = try sidecar(root, tenant, callId: "TransferB")
        let repeated = try sidecar(root, tenant, callId: "Repeated")
        // The extension from the master leg decides the folder: not `_account`.
        #expect(first["archive"]?["item"]?["extensionFolder"]?.stringValue == "101")
        #expect(second["archive"]?["item"]?["extensionFolder"]?.stringValue == "102")
        #expect(first["archive"]?["recordings"] == .array([["id": "1662272101"]]))
        #expect(first["archive"]?["media"]?.arrayValue?.map { $0["id"]?.stringValue } == ["1662272101"])
        let firstPath = try #require(files(root, tenant, containing: "_call.transfera").first)
        #expect(second["archive"]?["recordings"] == .array([["id": "1662272102"], ["id": "1662272101", "storedWith": .string(firstPath)]]))
        #expect(second["archive"]?["media"]?.arrayValue?.map { $0["id"]?.stringValue } == ["1662272102"])
        #expect(repeated["archive"]?["media"]?.arrayValue?.count == 1)
        #expect(repeated["archive"]?["recordings"] == .array([["id": "1662272103"]]))

        // A second run (the records again, as a reconcile or ISync would send them) changes nothing.
        let again = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(again.counts["recordings", default: 0] == 0 && again.counts["callRevisions", default: 0] == 0)
        #expect(source.downloaded.withLock { $0 }.count == 3, "nothing is downloaded twice")
        #expect(try sidecar(root, tenant, callId: "TransferB") == second, "the sidecar is not rewritten")
    }

    /// The shared recording of a synced transfer is stored with TransferA (extension 101); a legal hold
    /// on TransferB (extension 102) keeps it through a purge that expires recordings (layout-spec §14.2).
    @Test(arguments: [false, true])
    func aHoldOnTheSecondRecordOfATransferKeepsTheRecordingStoredWithTheFirst(held: Bool) throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let session = "s-transfer-1"
        let calls = [
            Self.legsOnlyRecord(id: "TransferA", start: "2026-11-19T15:00:00.000Z", session: session,
                                legs: [Self.leg(extensionId: "101000", master: true), Self.leg(extensionId: "102000", recording: Self.recording("1662272101"))]),
            Self.legsOnlyRecord(id: "TransferB", start: "2026-11-19T15:03:00.000Z", session: session,
                                legs: [Self.leg(extensionId: "102000", master: true), Self.leg(extensionId: "101000", recording: Self.recording("1662272101"))]),
        ]
        let extensions: [JSON] = [["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"],
                                  ["id": 102_000, "extensionNumber": "102", "type": "User", "status": "Enabled"]]
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls, extensions: extensions), options: options).run()
        let stored = try #require(files(root, tenant, containing: "_1662272101.").first)
        #expect(stored.hasPrefix("101/"))
        let store = root.store(for: tenant.tenantId)
        let context = PassContext(now: Timestamp(iso8601: "2026-11-25T12:00:00Z")!, actor: "tester@host", leaseSeconds: 600)
        _ = try Policy.set(store: store, changes: .init(calls: "30d", recordings: "1d"), reason: "test policy", context: context)
        if held { _ = try LegalHolds.add(store: store, scope: HoldScope(extensionFolder: "102"), reason: "matter B", context: context) }
        _ = try Purge.run(store: store, dryRun: false, maxDelete: nil, context: context)
        #expect(files(root, tenant, containing: "_1662272101.").filter { !$0.hasPrefix(".trash") } == (held ? [stored] : []))
        #expect(files(root, tenant, containing: "_call.transferb").count == 1)
    }

    /// RingCentral lets two extensions share a number: the lowest id keeps the folder, the other gets
    /// `id-<extensionId>`, whatever order the list comes in.
    @Test(arguments: [false, true])
    func extensionsSharingANumberNeverShareAFolder(reversed: Bool) throws {
        let (scratch, root, tenant, options) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        var extensions: [JSON] = [["id": 99_000, "extensionNumber": "101", "type": "User", "status": "Enabled"],
                                  ["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"]]
        if reversed { extensions.reverse() }
        let calls = [callRecord(id: "Low", extensionId: 99_000), callRecord(id: "High", start: "2026-11-19T16:00:00.000Z", extensionId: 101_000)]
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls, extensions: extensions), options: options).run()
        #expect(try sidecar(root, tenant, callId: "Low")["archive"]?["item"]?["extensionFolder"]?.stringValue == "101",
                "99000 < 101000 numerically (not as text): it keeps the number")
        #expect(try sidecar(root, tenant, callId: "High")["archive"]?["item"]?["extensionFolder"]?.stringValue == "id-101000")
    }

    @Test func folderNumbersAreDecidedByNumericIdOrder() {
        let numbers = ArchiveNames.folderNumbers([("1000", "7"), ("999", "7"), ("5", "8"), ("6", nil)])
        #expect(numbers["999"] == .some("7") && numbers["1000"] == .some(nil))
        #expect(numbers["5"] == .some("8") && numbers["6"] == .some(nil))
    }

    /// RingCentral's own Detailed sample (its guide, `call-log-record-detailed-with-legs.json`) has no
    /// top-level `extension`: the master leg's decides.
    @Test func theVerbatimDetailedSampleBelongsToItsLegsExtension() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = repository.deletingLastPathComponent().appendingPathComponent("shared/reference/examples/call-log-record-detailed-with-legs.json")
        let json = try JSON.parse(Array(try Data(contentsOf: file)))
        #expect(json["extension"] == nil)
        let legs = try #require(json["legs"]?.arrayValue)
        let expected = (legs.first { $0["master"] == .bool(true) } ?? legs.first { $0["extension"] != nil })?["extension"]?["id"]
        let record = try CallLogRecord(json: json)
        #expect(record.extensionId != nil)
        #expect(record.extensionId == (expected?.stringValue ?? expected.flatMap { if case .number(let n) = $0 { n } else { nil } }))
    }
}

/// Hostile leg shapes: each fails only what it must, the record is archived, names stay escaped.
@Suite struct HostileLegsTests {
    @Test func hostileLegsFailOnlyThemselves() throws {
        let scratch = ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        func record(_ id: String, legs: JSON, start: String = "2026-11-19T15:00:00.000Z") -> JSON {
            var object = callRecord(id: id, start: start).objectValue!
            object["extension"] = nil
            object["legs"] = legs
            return .object(object)
        }
        let many = (0..<300).map { LegsAndSessionsTests.leg(extensionId: "101000", master: $0 == 0, recording: LegsAndSessionsTests.recording("16622730\(String(format: "%02d", $0 % 100))\($0 / 100)")) }
        let calls = [
            record("LegsNotArray", legs: ["recording": LegsAndSessionsTests.recording("1662272601")]),
            record("LegNoUri", legs: [["master": true, "extension": ["id": 101_000], "recording": ["id": "1662272602"]]],
                   start: "2026-11-19T15:01:00.000Z"),
            record("LegHostileExtension", legs: [["master": true, "extension": ["id": "../../etc"], "recording": LegsAndSessionsTests.recording("1662272603")]],
                   start: "2026-11-19T15:02:00.000Z"),
            record("ThreeHundredLegs", legs: .array(many), start: "2026-11-19T15:03:00.000Z"),
            // One id, two URLs: the first reference wins, stored once.
            record("SameIdTwoUris", legs: [LegsAndSessionsTests.leg(extensionId: "101000", master: true, recording: LegsAndSessionsTests.recording("1662272604")),
                                          ["extension": ["id": 101_000], "recording": ["id": "1662272604", "contentUri": "https://media.example/other/1662272604/content"]]],
                   start: "2026-11-19T15:04:00.000Z"),
            callRecord(id: "Bad\r\nId", start: "2026-11-19T15:05:00.000Z", extra: [("legs", "nope")]),
        ]
        var options = SyncOptions()
        options.defaultHistoryDays = 30
        let source = ScriptedSource(calls: calls)
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options).run()
        #expect(report.failure == nil)
        #expect(report.counts["calls"] == 5, "every nameable record is archived: \(report.counts) \(report.errors)")
        #expect(report.counts["recordings"] == 302, "300 leg recordings, the hostile-extension leg's, one of the shared id: \(report.counts)")
        #expect(source.downloaded.withLock { $0 }.filter { $0.contains("1662272604") } == ["https://media.example:443/restapi/v1.0/account/1/recording/1662272604/content"])
        #expect(report.errors.contains { $0.contains("LegsNotArray") && $0.contains("not an array") })
        #expect(report.errors.contains { $0.contains("LegNoUri") && $0.contains("legs[0].recording lacks") })
        #expect(report.errors.allSatisfy { !$0.contains("\r\n") }, "no raw control characters in messages: \(report.errors)")
        #expect(try LegsAndSessionsTests().sidecar(root, tenant, callId: "SameIdTwoUris")["archive"]?["recordings"] == .array([["id": "1662272604"]]))
        #expect(try LegsAndSessionsTests().sidecar(root, tenant, callId: "ThreeHundredLegs")["archive"]?["recordings"]?.arrayValue?.count == 300)
        let hostile = try LegsAndSessionsTests().sidecar(root, tenant, callId: "LegHostileExtension")
        #expect(hostile["archive"]?["item"]?["extensionFolder"]?.stringValue == "_account", "a hostile leg extension id is passed over")
    }
}
