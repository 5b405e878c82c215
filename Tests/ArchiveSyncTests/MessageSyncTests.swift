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

    init(since: String = "2018-01-01T00:00:00Z", messages: MessageKinds? = nil) throws {
        root = try ArchiveRoot.initialize(scratch.path + "/archive")
        tenantId = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: since), messages: messages).tenantId
    }

    /// Changes the tenant's kinds as `tenant set --messages` does (the marker, rewritten).
    func setKinds(_ kinds: MessageKinds) throws {
        var marker = try root.store(for: tenantId).marker()
        marker.messages = kinds
        try DurableFiles.writeAtomically(directory + "/tenant.json", marker.bytes, owner: "test")
    }

    /// Every file's bytes and modification time: a run that writes nothing leaves this identical.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        for path in (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []) where !path.hasPrefix("logs") && !path.contains("lease") {
            let full = directory + "/" + path
            guard !DurableFiles.isDirectory(full) else { continue }
            let modified = (try? FileManager.default.attributesOfItem(atPath: full)[.modificationDate] as? Date)??.timeIntervalSince1970 ?? 0
            result[path] = SHA256Hasher.hex(of: try DurableFiles.read(full)) + "@\(modified)"
        }
        return result
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
        let path = directory + "/logs/errors.jsonl"
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

@Suite struct MessageKindTests {
    @Test func kindsParseAndABadWordIsRefusedByName() throws {
        #expect(try MessageKinds(parsing: "sms,voicemail").description == "voicemail,sms")
        #expect(try MessageKinds(parsing: "voicemail,fax,sms,pager") == .all)
        #expect(try MessageKinds(parsing: "none") == .none)
        #expect(MessageKinds.none.description == "none")
        #expect(MessageKinds.all.apiTypes == ["VoiceMail", "Fax", "SMS", "Pager"])
        for bad in ["sms,faxes", "email", "sms,", "none,sms"] {
            #expect {
                try MessageKinds(parsing: bad)
            } throws: { error in
                let word = bad.split(separator: ",", omittingEmptySubsequences: false).first { MessageKind(rawValue: String($0)) == nil }.map(String.init) ?? ""
                return "\(error)".contains(word.isEmpty ? "an empty word" : "\"\(word)\"")
            }
        }
        // Every bad word is named at once, not only the first.
        #expect {
            try MessageKinds(parsing: "sms,faxes,emails,,sms")
        } throws: { error in
            let text = "\(error)"
            return text.contains("\"faxes\"") && text.contains("\"emails\"") && text.contains("an empty word") && text.contains("are not message kinds")
        }
    }

    @Test func aMarkerWithoutMessagesMeansEveryKindAndTheKeyRoundTrips() throws {
        let fixture = try MessageFixture()
        let marker = try fixture.root.store(for: fixture.tenantId).marker()
        #expect(marker.messages == nil && marker.messageKinds == .all)
        #expect(!String(decoding: try DurableFiles.read(fixture.directory + "/tenant.json"), as: UTF8.self).contains("messages"))
        try fixture.setKinds(try MessageKinds(parsing: "fax,sms"))
        let reread = try fixture.root.store(for: fixture.tenantId).marker()
        #expect(reread.messageKinds.description == "fax,sms")
        #expect(reread.json["messages"] == ["fax", "sms"])
    }
}

@Suite struct MessageKindCommandTests {
    @Test func tenantAddSetShowAndListCarryTheKinds() async throws {
        let scratch = ScratchDirectory()
        let root = scratch.path + "/archive"
        func ringlog(_ arguments: [String]) async throws -> RinglogResult {
            try await runRinglog(arguments + ["--root", root], environment: ["RINGLOG_SECRETS_DIR": scratch.path + "/secrets"])
        }
        _ = try await runRinglog(["init", root])
        let bad = try await ringlog(["tenant", "add", "Clinic", "--server", "https://platform.ringcentral.com", "--messages", "voicemail,faxes"])
        #expect(bad.status == 2 && bad.standardError.contains("\"faxes\""), "\(bad.standardError)")
        let added = try await ringlog(["tenant", "add", "Clinic", "--server", "https://platform.ringcentral.com", "--messages", "fax,voicemail"])
        #expect(added.status == 0, "\(added.standardError)")
        let tenant = added.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try await ringlog(["tenant", "show", tenant])
        #expect(shown.standardOutput.contains("messages: voicemail,fax\n"), "\(shown.standardOutput)")
        let set = try await ringlog(["tenant", "set", tenant, "--messages", "none", "--json"])
        #expect(try set.status == 0 && JSON.parse(set.standardOutput)["messages"] == "none", "\(set.standardError)")
        let refused = try await ringlog(["tenant", "set", tenant, "--messages", "sms,mms"])
        #expect(refused.status == 2 && refused.standardError.contains("\"mms\""), "\(refused.standardError)")
        let other = try await ringlog(["tenant", "add", "Shop", "--server", "https://platform.ringcentral.com"])
        let list = try await ringlog(["tenant", "list", "--json"])
        let entries = try JSON.parse(list.standardOutput).arrayValue ?? []
        #expect(entries.map { $0["messages"] } == ["none", "voicemail,fax,sms,pager"], "\(list.standardOutput)")
        let defaultShown = try await ringlog(["tenant", "show", other.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(defaultShown.standardOutput.contains("messages: voicemail,fax,sms,pager (default)"))
        let audit = try String(decoding: DurableFiles.read(root + "/" + tenant + "/logs/audit.jsonl"), as: UTF8.self)
        #expect(audit.contains("\"before\":\"voicemail,fax\"") && audit.contains("\"after\":\"none\""), "\(audit)")
    }
}

@Suite struct VerbatimExampleTests {
    static var examples: String { repositoryRoot.appendingPathComponent("../shared/reference/examples").standardized.path }

    /// `voicemail-message-event.json` (RingCentral's push-event sample): its `body` is a message record
    /// whose ids are strings, not numbers; read from the reference file itself.
    @Test func theVoicemailEventBodyWithStringIdsIsArchivedUnderItsIds() throws {
        let event = try JSON.parse(try DurableFiles.read(Self.examples + "/voicemail-message-event.json"))
        let body = try #require(event["body"])
        #expect(body["id"] == "82063400004")
        let fixture = try MessageFixture()
        let report = try fixture.run(MessageStoreSource(messages: [MessageShapes.mailbox: [body]]))
        let stem = "101/2018-02-28/20180228T100555Z_vm.82063400004"
        #expect(fixture.itemFiles == [stem + ".json", stem + ".wav"], "\(report.errors)")
        #expect(try fixture.sidecar(stem + ".json")["record"] == body, "verbatim")
    }

    /// `message-store-list-response-sms.json` read from the file: every record of the list archived.
    @Test func theSMSListExampleFileIsArchivedWhole() throws {
        let list = try JSON.parse(try DurableFiles.read(Self.examples + "/message-store-list-response-sms.json"))
        let records = try #require(list["records"]?.arrayValue)
        let fixture = try MessageFixture()
        let report = try fixture.run(MessageStoreSource(messages: [MessageShapes.mailbox: records]))
        #expect(fixture.itemFiles.filter { $0.hasSuffix(".json") }.count == records.count, "\(report.errors)")
        #expect(report.status == .success)
    }
    /// A record whose `creationTime` lies in the future (year 9999 here: a hostile or broken payload) raised the
    /// mailbox's high-water mark to it, and the recovery from an expired sync token re-lists from that mark: a full
    /// sync from 9999 and a list from 9999 to now, so every message created since the last run was never archived.
    /// The recovery starts no later than the previous sync's time (the server's clock), whatever a record says.
    @Test func aFutureCreationTimeDoesNotHideMessagesFromTheTokenRecovery() throws {
        let fixture = try MessageFixture()
        let early = MessageShapes.message("7100000001", type: "SMS", created: "2026-11-18T10:00:00.000Z", attachments: [])
        let future = MessageShapes.message("7100000002", type: "SMS", created: "9999-12-31T23:59:59.000Z", attachments: [])
        let source = MessageStoreSource(messages: [MessageShapes.mailbox: [early, future]])
        source.fullSyncHonoursDateFrom.withLock { $0 = true }
        try fixture.run(source)
        // Created after that run's sync (2026-11-20T23:00Z), then the token expired before the next ISync.
        let later = MessageShapes.message("7100000003", type: "SMS", created: "2026-11-21T01:00:00.000Z", attachments: [])
        source.messages.withLock { $0[MessageShapes.mailbox]?.append(later) }
        source.rejectNextToken.withLock { $0 = true }
        let report = try fixture.run(source)
        #expect(report.warnings.contains { $0.contains("MSG-333") }, "\(report.warnings)")
        #expect(fixture.itemFiles.contains("101/2026-11-21/20261121T010000Z_sms.7100000003.json"), "\(fixture.itemFiles)")
    }
}
