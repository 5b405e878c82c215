import Foundation
import ArchiveStore
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Testing

/// Every file a sync writes conforms to its JSON Schema in layout-spec/schemas: the spec describes
/// what ringlog really writes, not what it meant to.
@Suite struct LayoutSchemaTests {
    static let schemaDirectory = repositoryRoot.appendingPathComponent("layout-spec/schemas").path

    func schema(_ name: String) throws -> (SchemaValidator, JSON) {
        let document = try JSON.parse(try DurableFiles.read(Self.schemaDirectory + "/" + name))
        return (SchemaValidator(document: document), document)
    }

    func expectValid(_ value: JSON, _ schemaName: String, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (validator, document) = try schema(schemaName)
        let errors = validator.validate(value, document)
        #expect(errors.isEmpty, "\(label) vs \(schemaName): \(errors.prefix(5))", sourceLocation: sourceLocation)
    }

    func lines(_ path: String) throws -> [JSON] {
        try String(decoding: DurableFiles.read(path), as: UTF8.self).split(separator: "\n").map { try JSON.parse(String($0)) }
    }

    @Test func everyFileASyncWritesMatchesItsSchema() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        // A recording that appears but is not ready makes the pending queue non-empty.
        let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        func instant(_ item: JSON, _ key: String) -> Timestamp { Timestamp(iso8601: item[key]?.stringValue ?? "")! }
        let late = try #require(sim.recordingSchedule.first { instant($0, "appearsAt") > start && instant($0, "readyAt") > instant($0, "appearsAt") })
        sim.advance(seconds: Double(instant(late, "appearsAt").millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000)
        _ = try await archive.sync()
        let root = archive.root, tenant = archive.tenantDirectory

        try expectValid(try JSON.parse(try DurableFiles.read(root + "/ringlog-archive.json")), "root-marker.schema.json", "root marker")
        for line in try lines(root + "/tenants.jsonl") { try expectValid(line, "registry-event.schema.json", "registry line") }
        try expectValid(try JSON.parse(try DurableFiles.read(tenant + "/tenant.json")), "tenant-marker.schema.json", "tenant marker")
        try expectValid(try JSON.parse(try DurableFiles.read(tenant + "/.ringlog/state.json")), "state.schema.json", "state")
        let pending = try JSON.parse(try DurableFiles.read(tenant + "/.ringlog/pending.json"))
        #expect(!(pending["pending"]?.arrayValue?.isEmpty ?? true))
        try expectValid(pending, "pending.schema.json", "pending queue")
        for line in try lines(tenant + "/logs/runs.jsonl") { try expectValid(line, "run-log-line.schema.json", "run log") }

        let sidecars = try Manifest.sidecarPaths(tenantDirectory: tenant)
        #expect(sidecars.contains { $0.contains("_call.") } && sidecars.contains { $0.contains("_vm.") })
        for relative in sidecars {
            let sidecar = try JSON.parse(try DurableFiles.read(tenant + "/" + relative))
            // By the name's prefix (§4.4): fax, SMS/MMS and pager sidecars are `ringlog-message` (revision 4).
            let schema = relative.contains("_vm.") ? "voicemail-sidecar.schema.json"
                : relative.contains("_call.") ? "call-sidecar.schema.json" : "message-sidecar.schema.json"
            try expectValid(sidecar, schema, relative)
        }
        // Every call that links a voicemail names its sidecar, and that sidecar names the call (§6.7).
        var links = 0
        for relative in sidecars where relative.contains("_call.") {
            let call = try JSON.parse(try DurableFiles.read(tenant + "/" + relative))
            guard let link = call["archive"]?["message"] else { continue }
            links += 1
            let messagePath = try #require(link["sidecar"]?.stringValue, "\(relative): \(link)")
            let message = try JSON.parse(try DurableFiles.read(tenant + "/" + messagePath))
            #expect(message["archive"]?["calls"]?.arrayValue?.contains { $0["sidecar"]?.stringValue == relative } == true, "\(messagePath)")
        }
        #expect(links > 0)
        let manifest = archive.manifestLines
        // messageLink: the simulator's calls sent to voicemail link their message (layout §6.7); text, document,
        // mms, attachment: its SMS/MMS, faxes and pager messages (revision 4); insights: the RingSense insights
        // it serves for a share of the recordings (§6.9).
        #expect(Set(manifest.compactMap { $0["kind"]?.stringValue }) == ["call", "message", "recording", "voicemail", "transcription", "messageLink",
                                                                         "text", "document", "mms", "attachment", "insights"])
        for line in manifest { try expectValid(line, "manifest-line.schema.json", "manifest line \(line["path"]?.stringValue ?? "")") }

        let lease = try Lease.acquire(in: tenant + "/.ringlog", renewing: false)
        try expectValid(try JSON.parse(try DurableFiles.read(lease.path)), "lease.schema.json", "lease")
        lease.release()
        try expectValid(try JSON.parse(try DurableFiles.read(lease.path)), "lease.schema.json", "released lease")
    }

    /// Entries written before any attempt failed (parked: refused credentials or a stopped group; an
    /// insights entry not asked yet) carry `attempts: 0` and are valid queue files (§8.2).
    @Test func entriesWithNoFailedAttemptMatchThePendingSchema() throws {
        let now = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        func entry(_ kind: MediaEntry.Kind, _ uri: String) -> PendingItem {
            PendingItem(kind: kind, mediaId: "1662272004", sidecar: "101/2026-11-20/20261120T100000Z_call.Abc", uri: uri, startTime: now,
                        attempts: 0, firstSeenAt: now, nextAttemptAt: now, lastError: "", quarantinedAt: nil)
        }
        var queue = PendingQueue()
        queue.pending = [entry(.recording, "https://media.ringcentral.com/restapi/v1.0/account/1/recording/1662272004/content")]
        queue.insights = [entry(.insights, "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1662272004/insights")]
        try expectValid(try JSON.parse(queue.bytes), "pending.schema.json", "pending queue")
    }

    @Test func errorLogAndTombstoneShapes() throws {
        // Error lines come from the hostile-input double; tombstones are written by later passes, so
        // the schema is checked against the example in layout-spec/v1.md §10.
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [callRecord(id: "../escape")])).run()
        let errors = try lines(root.tenantDirectory(tenant.tenantId) + "/logs/errors.jsonl")
        #expect(errors.count == 1)
        for line in errors { try expectValid(line, "error-log-line.schema.json", "error log") }
        let tombstone: JSON = [
            "path": "101/2026-11-18/20261118T153012Z_1662272004.mp3", "kind": "recording", "callId": "IVWtSyis720zMEA",
            "extensionId": "62000001", "recordingId": "1662272004",
            "sha256": .string(String(repeating: "a", count: 64)), "size": 48211, "reason": "retention", "rule": "older than 7 years",
            "removedAt": "2033-11-18T00:00:00.000Z",
        ]
        try expectValid(tombstone, "tombstone.schema.json", "tombstone example")
        var wrong = tombstone.objectValue!
        wrong["path"] = "../../etc/passwd"
        let (validator, document) = try schema("tombstone.schema.json")
        #expect(!validator.validate(.object(wrong), document).isEmpty, "the schemas reject what the spec forbids")
    }
}

@Suite struct ExampleTreeTests {
    /// The example tree in examples/ is real output: every file matches its schema, and reindexing
    /// a copy reproduces its manifest exactly.
    @Test func theExampleTreeConformsAndReindexesToItsOwnManifest() throws {
        let example = repositoryRoot.appendingPathComponent("examples/demo-archive").path
        let scratch = ScratchDirectory()
        let copy = scratch.path + "/demo-archive"
        try FileManager.default.copyItem(atPath: example, toPath: copy)
        let root = try ArchiveRoot.open(copy)
        let tenant = try #require(try root.tenants(selecting: nil).first)
        let directory = root.tenantDirectory(tenant.tenantId)
        let schemas = LayoutSchemaTests()
        for relative in try Manifest.sidecarPaths(tenantDirectory: directory) {
            try schemas.expectValid(try JSON.parse(try DurableFiles.read(directory + "/" + relative)),
                                    relative.contains("_vm.") ? "voicemail-sidecar.schema.json" : "call-sidecar.schema.json", relative)
        }
        let shipped = try schemas.lines(directory + "/manifest/2026-11.jsonl")
        for line in shipped { try schemas.expectValid(line, "manifest-line.schema.json", "example manifest") }
        var rebuilt: [String] = []
        try Manifest.rebuild(tenantDirectory: directory, write: nil) { rebuilt += $0.lines }
        #expect(Set(rebuilt) == Set(shipped.map { $0.serialized() }))
        for line in shipped where line["sha256"] != nil {
            let bytes = try DurableFiles.read(directory + "/" + (line["path"]?.stringValue ?? ""))
            #expect(SHA256Hasher.hex(of: bytes) == line["sha256"]?.stringValue)
        }
    }
}
