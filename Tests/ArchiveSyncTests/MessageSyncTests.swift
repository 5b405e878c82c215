import Foundation
import Logging
import RingCentral
import ArchiveStore
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// An archive root with one tenant whose history reaches back to the verbatim examples (2018).
struct MessageFixture {
    let scratch = ScratchDirectory()
    let root: ArchiveRoot
    let tenantId: String
    var directory: String { root.tenantDirectory(tenantId) }

    init(since: String = "2018-01-01T00:00:00Z") throws {
        root = try ArchiveRoot.initialize(scratch.path + "/archive")
        tenantId = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: since)).tenantId
    }

    @discardableResult
    func run(_ source: MessageStoreSource, _ configure: (inout SyncOptions) -> Void = { _ in }) throws -> SyncReport {
        var options = SyncOptions()
        configure(&options)
        let marker = try #require(try root.tenants(selecting: tenantId).first)
        return try SyncEngine(root: root, tenant: marker, source: source, options: options).run()
    }

    /// Every file under the tenant's extension folders (relative), control files left out.
    var itemFiles: [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter { path in
            !path.hasPrefix(".ringlog") && !path.hasPrefix("manifest") && !path.hasPrefix("_") && path.split(separator: "/").count == 3
        }.sorted()
    }

    func sidecar(_ relative: String) throws -> JSON { try JSON.parse(try DurableFiles.read(directory + "/" + relative)) }
    func errorLines() throws -> [JSON] {
        let path = directory + "/.ringlog/errors.jsonl"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try String(decoding: try DurableFiles.read(path), as: UTF8.self).split(separator: "\n").map { try JSON.parse(String($0)) }
    }
    func pending() throws -> PendingQueue { try PendingQueue.load(directory + "/.ringlog/pending.json") }
}

@Suite struct MessageSyncTests {
    /// Issue 14: an older-shape voicemail (attachment with `contentType: audio/x-wav` and no `type`)
    /// got a sidecar and no audio, with no error. Its audio is archived beside the sidecar.
    @Test func aVoicemailWhoseAttachmentHasNoTypeIsArchivedWithItsAudio() throws {
        let fixture = try MessageFixture()
        let source = MessageStoreSource(messages: [MessageShapes.mailbox: [MessageShapes.voicemailWithoutAttachmentType]])
        let report = try fixture.run(source)
        let stem = "101/2018-09-18/20180918T092403Z_vm.402406985008"
        #expect(fixture.itemFiles == [stem + ".json", stem + ".wav"], "\(report.errors)")
        #expect(report.counts["voicemails"] == 1)
        #expect(report.status == .success, "\(report.errors)")
        let sidecar = try fixture.sidecar(stem + ".json")
        #expect(sidecar["archive"]?["media"]?[0]?["id"] == "402406985008")
    }
}
