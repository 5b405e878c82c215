import ArchiveExport
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// EXPORT.json, the verify cursor and verify's log line conform to their JSON Schemas in
/// layout-spec/schemas: the spec describes what ringlog writes.
@Suite struct ExportSchemaTests {
    func expectValid(_ value: JSON, _ schemaName: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let document = try JSON.parse(try DurableFiles.read(repositoryRoot.appendingPathComponent("layout-spec/schemas/" + schemaName).path))
        let errors = SchemaValidator(document: document).validate(value, document)
        #expect(errors.isEmpty, "\(schemaName): \(errors.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test func exportVerifyCursorAndLogLineMatchTheirSchemas() throws {
        let tree = try TreeFixture.standard()
        try DurableFiles.writeAtomically(tree.path("policy.json"), Array(#"{"recordings": "7y"}"#.utf8))
        var request = try tree.request()
        request.extensionFolders = ["101", "_account"]
        _ = try tree.export(request, to: tree.scratch.path + "/e.tar")
        let extract = tree.scratch.path + "/x"
        try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
        #expect(try #require(try runTool("tar", ["-xf", tree.scratch.path + "/e.tar", "-C", extract])).status == 0)
        try expectValid(try JSON.parse(try DurableFiles.read(extract + "/\(tree.tenantId)-2026-11/EXPORT.json")), "export.schema.json")

        let audio = try #require(tree.files.first { $0.hasSuffix(".wav") })
        unlink(tree.path(audio))
        let ticks = Synchronization.Mutex<Double>(0)
        _ = tree.verify { options in
            options.deadline = 3
            options.clock = { ticks.withLock { $0 += 1; return $0 } }
            options.samplePercent = 50
        }
        try expectValid(try JSON.parse(try DurableFiles.read(tree.path(".ringlog/verify/cursor.json"))), "verify-cursor.schema.json")
        _ = tree.verify()
        try expectValid(try JSON.parse(try DurableFiles.read(tree.path(".ringlog/verify/cursor.json"))), "verify-cursor.schema.json")
        let lines = String(decoding: try DurableFiles.read(tree.path("logs/verify.jsonl")), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines { try expectValid(try JSON.parse(String(line)), "verify-log-line.schema.json") }
    }
}
