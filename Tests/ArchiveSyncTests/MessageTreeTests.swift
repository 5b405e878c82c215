import ArchiveExport
import ArchivePasses
import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// Every message kind in the tree (issue 14 points 2–5): names, attachments in every shape, faxes
/// both ways, changes and deletions, the call ↔ message link, exclusion, and what verify says.
@Suite struct MessageTreeTests {
    static let mailbox = MessageShapes.mailbox

    @Test func theVerbatimSMSExampleIsASidecarAndItsTextBeside() throws {
        let fixture = try MessageFixture()
        let source = MessageStoreSource(messages: [Self.mailbox: [try JSON.parse(MessageShapes.smsExample)]])
        let report = try fixture.run(source)
        let stem = "101/2019-05-22/20190522T170728Z_sms.6424569004"
        #expect(fixture.itemFiles == [stem + ".6424569004.txt", stem + ".json"], "\(report.errors)")
        #expect(report.counts["sms"] == 1 && report.counts["attachments"] == 1, "\(report.counts)")
        let sidecar = try fixture.sidecar(stem + ".json")
        #expect(sidecar["format"] == "ringlog-message")
        #expect(sidecar["archive"]?["item"]?["messageKind"] == "sms")
        #expect(sidecar["archive"]?["media"]?[0]?["kind"] == "text")
        // The record verbatim: the body (subject) and the 64-bit conversation id as its literal digits.
        #expect(sidecar["record"]?["subject"] == "Test SMS using a RingCentral Developer account - Hello World")
        #expect(String(decoding: try DurableFiles.read(fixture.directory + "/" + stem + ".json"), as: UTF8.self).contains("8031152018338945839"))
        #expect(report.status == .success)
        // A second run writes nothing.
        let before = try fixture.snapshot()
        let second = try fixture.run(source)
        #expect(try fixture.snapshot() == before)
        #expect(second.counts["sms"] == nil && second.counts["attachments"] == nil && second.status == .success)
    }

    @Test func everyKindAndAttachmentShapeHasItsName() throws {
        let fixture = try MessageFixture()
        let source = MessageStoreSource(messages: [Self.mailbox: [
            MessageShapes.mms, MessageShapes.faxReceived, MessageShapes.faxSent, MessageShapes.faxFailed, MessageShapes.pager,
            MessageShapes.unknownAttachment, MessageShapes.voicemailOldShape,
        ]])
        let report = try fixture.run(source)
        let day = "101/2026-11-18/"
        #expect(fixture.itemFiles == [
            day + "20261118T100000Z_sms.7000000001.7000000011.txt", day + "20261118T100000Z_sms.7000000001.7000000012.jpg",
            day + "20261118T100000Z_sms.7000000001.7000000013.mp4", day + "20261118T100000Z_sms.7000000001.json",
            day + "20261118T110000Z_fax.7000000002.7000000021.pdf", day + "20261118T110000Z_fax.7000000002.json",
            day + "20261118T120000Z_fax.7000000003.7000000031.bin", day + "20261118T120000Z_fax.7000000003.7000000032.png",
            day + "20261118T120000Z_fax.7000000003.7000000033.tif", day + "20261118T120000Z_fax.7000000003.json",
            day + "20261118T130000Z_fax.7000000004.7000000041.pdf", day + "20261118T130000Z_fax.7000000004.json",
            day + "20261118T140000Z_pager.7000000005.7000000051.txt", day + "20261118T140000Z_pager.7000000005.json",
            day + "20261118T150000Z_sms.7000000006.7000000061.txt", day + "20261118T150000Z_sms.7000000006.7000000062.bin",
            day + "20261118T150000Z_sms.7000000006.json",
            day + "20261118T160000Z_vm.7000000007.json", day + "20261118T160000Z_vm.7000000007.mp3", day + "20261118T160000Z_vm.7000000007.txt",
        ].sorted(), "\(report.errors)")
        #expect(report.status == .success, "\(report.errors)")
        #expect(report.counts["mms"] == 1 && report.counts["sms"] == 1 && report.counts["faxes"] == 3 && report.counts["pager"] == 1,
                "\(report.counts)")
        #expect(report.counts["voicemails"] == 1 && report.counts["transcriptions"] == 1 && report.counts["attachments"] == 11, "\(report.counts)")
        func kinds(_ name: String) throws -> [String] {
            try fixture.sidecar(day + name)["archive"]?["media"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        }
        #expect(try kinds("20261118T100000Z_sms.7000000001.json") == ["text", "mms", "mms"])
        #expect(try kinds("20261118T120000Z_fax.7000000003.json") == ["document", "document", "document"])
        #expect(try kinds("20261118T150000Z_sms.7000000006.json") == ["text", "attachment"])
        #expect(try kinds("20261118T160000Z_vm.7000000007.json") == ["voicemail", "transcription"])
        // Faxes keep their page count, resolution and delivery status (the record, verbatim).
        let sent = try fixture.sidecar(day + "20261118T120000Z_fax.7000000003.json")["record"]
        #expect(sent?["faxPageCount"] == 2 && sent?["faxResolution"] == "Low" && sent?["messageStatus"] == "Delivered")
        #expect(sent?["to"]?[0]?["faxErrorCode"] == "AllSuccess")
        let failed = try fixture.sidecar(day + "20261118T130000Z_fax.7000000004.json")
        #expect(failed["record"]?["messageStatus"] == "SendingFailed" && failed["record"]?["to"]?[0]?["faxErrorCode"] == "LineBusy")
        // The manifest's lines name the new kinds; verify finds the tree clean (no orphan, no misplaced sidecar).
        let verify = Verifier.verify(store: fixture.root.store(for: fixture.tenantId), options: VerifyOptions())
        #expect(verify.problems.isEmpty, "\(verify.problems.map { "\($0.kind) \($0.path) \($0.detail)" })")
        let lines = try MessageTreeTests.manifestKinds(fixture)
        #expect(lines["message"] == 7 && lines["document"] == 5 && lines["mms"] == 2 && lines["text"] == 3 && lines["attachment"] == 1, "\(lines)")
        // Reindex derives the same lines.
        var rebuilt: [String] = []
        try Manifest.rebuild(tenantDirectory: fixture.directory, write: nil) { rebuilt += $0.lines }
        let current = try Manifest.currentLines(tenantDirectory: fixture.directory, month: "2026-11")
        #expect(Set(rebuilt) == current)
    }

    /// Attachments a crashed run renamed into place before its sidecar (§9.2) are adopted with the type
    /// their records declare, as a download records the served one: `application/x-hologram` for the
    /// `.bin`, `audio/x-wav` for a voicemail's `.wav`, not the extensions' `application/octet-stream` and `audio/wav`.
    @Test func adoptedAttachmentsKeepTheTypeTheirRecordsDeclare() throws {
        let fixture = try MessageFixture()
        let day = "101/2026-11-18/"
        let voicemail = MessageShapes.message("7000000008", type: "VoiceMail", created: "2026-11-18T17:00:00.000Z", attachments: [
            MessageShapes.attachment("7000000008", message: "7000000008", type: "AudioRecording", contentType: "audio/x-wav"),
        ])
        try DurableFiles.createDirectories(fixture.directory + "/" + day)
        for name in ["20261118T150000Z_sms.7000000006.7000000062.bin", "20261118T170000Z_vm.7000000008.wav"] {
            try DurableFiles.writeAtomically(fixture.directory + "/" + day + name, Array("left by a crash".utf8))
        }
        let source = MessageStoreSource(messages: [Self.mailbox: [MessageShapes.unknownAttachment, voicemail]])
        let report = try fixture.run(source)
        #expect(report.status == .success, "\(report.errors)")
        func entry(_ sidecar: String, _ id: String) throws -> JSON? {
            try fixture.sidecar(day + sidecar)["archive"]?["media"]?.arrayValue?.first { $0["id"]?.stringValue == id }
        }
        let hologram = try entry("20261118T150000Z_sms.7000000006.json", "7000000062")
        #expect(hologram?["contentType"] == "application/x-hologram" && hologram?["sha256"] == .string(SHA256Hasher.hex(of: Array("left by a crash".utf8))),
                "\(String(describing: hologram))")
        #expect(try entry("20261118T170000Z_vm.7000000008.json", "7000000008")?["contentType"] == "audio/x-wav")
    }

    static func manifestKinds(_ fixture: MessageFixture) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in try Manifest.currentLines(tenantDirectory: fixture.directory, month: "2026-11") {
            counts[(try JSON.parse(line))["kind"]?.stringValue ?? "?", default: 0] += 1
        }
        return counts
    }

    @Test func anAttachmentThatCannotBeFetchedIsAnItemErrorNamingItAndPending() throws {
        let fixture = try MessageFixture()
        let source = MessageStoreSource(messages: [Self.mailbox: [MessageShapes.faxReceived]],
                                        answers: ["7000000021": .init(status: 503, contentType: nil)])
        let report = try fixture.run(source)
        #expect(report.status == .partial)
        let error = try #require(report.errors.first)
        #expect(error.contains("message 7000000002") && error.contains("attachment 7000000021") && error.contains("503"), "\(error)")
        #expect(try fixture.errorLines().contains { $0["item"]?["attachmentId"] == "7000000021" })
        #expect(try fixture.pending().pending.map(\.mediaId) == ["7000000021"])
        // Once RingCentral serves it, the retry files it under its name.
        source.answers.withLock { $0 = [:] }
        let retried = try fixture.run(source) { $0.retryPendingNow = true }
        #expect(fixture.itemFiles.contains("101/2026-11-18/20261118T110000Z_fax.7000000002.7000000021.pdf"), "\(retried.errors)")
        #expect(try fixture.pending().pending.isEmpty && retried.status == .success)
    }

    @Test func exactlyTheTenantsKindsAreAskedForAndAnAddedKindIsBackfilledFromSince() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z", messages: try MessageKinds(parsing: "sms"))
        let source = MessageStoreSource(messages: [Self.mailbox: [MessageShapes.mms, MessageShapes.faxReceived, MessageShapes.pager]])
        _ = try fixture.run(source)
        #expect(source.requests.withLock { $0 } == ["101000 FSync SMS", "101000 list SMS", "101000 ISync SMS token-SMS"])
        #expect(fixture.itemFiles.allSatisfy { $0.contains("_sms.") })
        let state = try fixture.root.store(for: fixture.tenantId).loadState()
        #expect(state.voicemail["101000"]?.messageTypes == ["SMS"])
        // Fax and pager added later: a token for the new set, and the added kinds listed from `since`.
        try fixture.setKinds(try MessageKinds(parsing: "sms,fax,pager"))
        source.requests.withLock { $0 = [] }
        let report = try fixture.run(source)
        #expect(source.requests.withLock { $0 } == ["101000 FSync Fax,SMS,Pager", "101000 list Fax,Pager", "101000 ISync Fax,SMS,Pager token-Fax+SMS+Pager"])
        #expect(fixture.itemFiles.contains { $0.contains("_fax.7000000002.json") } && fixture.itemFiles.contains { $0.contains("_pager.7000000005.json") })
        #expect(report.counts["faxes"] == 1 && report.counts["pager"] == 1 && report.counts["sms"] == nil && report.counts["mms"] == nil)
        // `none`: calls only, no message request at all.
        try fixture.setKinds(.none)
        source.requests.withLock { $0 = [] }
        _ = try fixture.run(source)
        #expect(source.requests.withLock { $0 }.isEmpty)
    }

    @Test func aRevisionThreeStreamCoversVoicemailOnlyAndTheOtherKindsAreListedFromSince() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        // A state written by revision 3: a voicemail token, no `messageTypes`.
        var state = SyncState()
        var stream = StreamState()
        stream.syncToken = "vm-token"
        stream.syncTime = Timestamp(iso8601: "2026-11-19T00:00:00Z")
        state.voicemail["101000"] = stream
        try DurableFiles.createDirectories(fixture.directory + "/.ringlog")
        try DurableFiles.writeAtomically(fixture.directory + "/.ringlog/state.json", state.bytes, owner: "test")
        let source = MessageStoreSource(messages: [Self.mailbox: [MessageShapes.mms]])
        _ = try fixture.run(source)
        #expect(source.requests.withLock { $0 }.prefix(2) == ["101000 FSync VoiceMail,Fax,SMS,Pager", "101000 list Fax,SMS,Pager"])
    }

    @Test func statusChangesAreRevisionsAndDeletedOrPurgedMessagesStayWithTheirFiles() throws {
        let fixture = try MessageFixture()
        let source = MessageStoreSource(messages: [Self.mailbox: [try JSON.parse(MessageShapes.smsExample), MessageShapes.mms]])
        _ = try fixture.run(source)
        let sms = "101/2019-05-22/20190522T170728Z_sms.6424569004.json"
        // Read: a new revision (ISync brings the changed record).
        var read = try JSON.parse(MessageShapes.smsExample).objectValue!
        read["readStatus"] = "Read"
        read["lastModifiedTime"] = "2019-05-23T08:00:00.000Z"
        source.changes.withLock { $0[Self.mailbox] = [.object(read)] }
        let second = try fixture.run(source)
        #expect(try fixture.sidecar(sms)["archive"]?["revision"] == 2 && second.counts["messageRevisions"] == 1)
        #expect(try fixture.sidecar(sms)["archive"]?["revisions"]?[0]?["record"]?["readStatus"] == "Unread")
        // Purged: ISync says only the id and availability. The sidecar says so; record and files stay.
        source.changes.withLock { $0[Self.mailbox] = [["id": .number("6424569004"), "availability": "Purged"],
                                                     ["id": .number("7000000001"), "availability": "Deleted"],
                                                     ["id": .number("9999999999"), "availability": "Purged"]] }  // never archived
        let before = fixture.itemFiles
        let third = try fixture.run(source)
        #expect(fixture.itemFiles == before, "nothing removed")
        let purged = try fixture.sidecar(sms)
        #expect(purged["archive"]?["goneAtSource"]?["availability"] == "Purged")
        #expect(purged["archive"]?["revision"] == 2 && purged["record"]?["readStatus"] == "Read", "the stub is not taken as the record")
        #expect(try fixture.sidecar("101/2026-11-18/20261118T100000Z_sms.7000000001.json")["archive"]?["goneAtSource"]?["availability"] == "Deleted")
        #expect(third.status == .success && third.counts["messagesGone"] == 2 && third.counts["goneUnarchived"] == 1, "\(third.counts) \(third.errors)")
        // The same notices again write nothing.
        source.changes.withLock { $0[Self.mailbox] = [["id": .number("6424569004"), "availability": "Purged"]] }
        let snapshot = try fixture.snapshot()
        _ = try fixture.run(source)
        #expect(try fixture.snapshot() == snapshot)
    }

    @Test func aPurgedMessageMetForTheFirstTimeIsArchivedAndItsLostContentIsAnErrorNotARetry() throws {
        let fixture = try MessageFixture()
        var purged = MessageShapes.faxReceived.objectValue!
        purged["availability"] = "Purged"
        let source = MessageStoreSource(messages: [Self.mailbox: [.object(purged)]])
        let report = try fixture.run(source)
        #expect(fixture.itemFiles == ["101/2026-11-18/20261118T110000Z_fax.7000000002.json"])
        #expect(try fixture.sidecar(fixture.itemFiles[0])["archive"]?["goneAtSource"]?["availability"] == "Purged")
        #expect(report.status == .partial && report.errors.count == 1)
        #expect(report.errors[0].contains("attachment 7000000021") && report.errors[0].contains("purged"), "\(report.errors)")
        #expect(try source.downloads.withLock { $0 }.isEmpty && fixture.pending().pending.isEmpty)
    }

    @Test func aPendingAttachmentOfAMessagePurgedMeanwhileLeavesTheQueueWithAnError() throws {
        let fixture = try MessageFixture()
        let source = MessageStoreSource(messages: [Self.mailbox: [MessageShapes.faxReceived]],
                                        answers: ["7000000021": .init(status: 404, contentType: nil)])
        _ = try fixture.run(source)
        #expect(try fixture.pending().pending.count == 1)
        source.changes.withLock { $0[Self.mailbox] = [["id": .number("7000000002"), "availability": "Purged"]] }
        let report = try fixture.run(source)
        #expect(try fixture.pending().pending.isEmpty)
        #expect(report.errors.contains { $0.contains("attachment 7000000021") && $0.contains("purged") }, "\(report.errors)")
    }

    @Test func aCallAndTheVoicemailItLinksNameEachOtherInEitherOrder() throws {
        // Call first (calls sync before messages in a run).
        for messageFirst in [false, true] {
            let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
            let voicemail = MessageShapes.voicemailOldShape
            let call = callRecord(id: "CallToVm1", start: "2026-11-18T15:59:30.000Z", extra: [
                ("result", "Voicemail"),
                ("message", ["id": "7000000007", "type": "VoiceMail", "uri": .string(MessageShapes.base + "/7000000007")]),
            ])
            let source = MessageStoreSource(messages: [Self.mailbox: [voicemail]], calls: messageFirst ? [] : [call])
            _ = try fixture.run(source)
            if messageFirst {
                source.calls.withLock { $0 = [call] }
                _ = try fixture.run(source)
            }
            let callPath = "101/2026-11-18/20261118T155930Z_call.\(try ArchiveNames.caseSafe(callId: "CallToVm1")).json"
            let messagePath = "101/2026-11-18/20261118T160000Z_vm.7000000007.json"
            #expect(try fixture.sidecar(callPath)["archive"]?["message"] == ["id": "7000000007", "type": "VoiceMail", "sidecar": .string(messagePath)],
                    "message first: \(messageFirst)")
            #expect(try fixture.sidecar(messagePath)["archive"]?["calls"] == [["id": "CallToVm1", "sidecar": .string(callPath)]],
                    "message first: \(messageFirst)")
            let verify = Verifier.verify(store: fixture.root.store(for: fixture.tenantId), options: VerifyOptions())
            #expect(verify.problems.isEmpty, "\(verify.problems.map { "\($0.kind) \($0.path) \($0.detail)" })")
            let before = try fixture.snapshot()
            _ = try fixture.run(source)
            #expect(try fixture.snapshot() == before, "a further run writes nothing (message first: \(messageFirst))")
        }
    }

    @Test func aMessageWithAnExcludedNumberInAnyRecipientNeverReachesTheDisk() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let store = fixture.root.store(for: fixture.tenantId)
        let secrets = fixture.scratch.path + "/secrets"
        let key = try ExclusionKeyFile.loadOrCreate(ExclusionKeyFile.path(tenantId: fixture.tenantId, secretsDirectory: secrets))
        _ = try Exclusions.add(store: store, target: .number("+14155550199"), country: nil, label: nil, reason: "helpline", key: key,
                               context: PassContext(actor: "t@h"))
        let group = MessageShapes.message("7000000099", type: "SMS", created: "2026-11-18T17:00:00.000Z",
                                          to: [["phoneNumber": "+13125559821"], ["phoneNumber": "(415) 555-0199"]],
                                          attachments: [MessageShapes.attachment("7000000991", message: "7000000099", type: "Text", contentType: "text/plain")])
        let source = MessageStoreSource(messages: [Self.mailbox: [group, MessageShapes.pager]])
        let report = try fixture.run(source) { $0.secretsDirectory = secrets }
        #expect(report.counts["excluded"] == 1)
        #expect(!fixture.itemFiles.contains { $0.contains("7000000099") } && fixture.itemFiles.contains { $0.contains("_pager.") })
        #expect(!source.downloads.withLock { $0 }.contains { $0.contains("7000000991") })
        for (path, text) in GovernanceSyncTests.everything(fixture.directory) {
            #expect(!text.contains("7000000099") && !text.contains("555-0199"), "\(path)")
        }
    }

    @Test func hostileAttachmentsFailOnlyThemselvesAndNameNothingOutsideTheLayout() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let id = "7000000077"
        let hostile = MessageShapes.message(id, type: "SMS", created: "2026-11-18T18:00:00.000Z", attachments: [
            ["id": .number("7000000771"), "type": "Text", "contentType": "text/plain"],  // no uri
            ["uri": .string(MessageShapes.base + "/\(id)/content/x"), "type": "MmsAttachment", "contentType": "image/png"],  // no id
            ["id": "../../etc/passwd", "uri": .string(MessageShapes.base + "/\(id)/content/y"), "contentType": "image/png"],
            MessageShapes.attachment("7000000774", message: id, type: "MmsAttachment", contentType: "../../x/y; name=\"a/b\""),
            MessageShapes.attachment("7000000775", message: id, type: "Text", contentType: String(repeating: "t", count: 5000)),
            "not an object",
        ])
        let source = MessageStoreSource(messages: [Self.mailbox: [hostile]])
        let report = try fixture.run(source)
        let day = "101/2026-11-18/20261118T180000Z_sms.\(id)"
        #expect(fixture.itemFiles == [day + ".7000000774.bin", day + ".7000000775.bin", day + ".json"], "\(report.errors)")
        #expect(report.errors.count == 4 && report.errors.allSatisfy { $0.hasPrefix("message") && $0.contains(id) }, "\(report.errors)")
        #expect(report.errors.contains { $0.contains("attachments[0]") && $0.contains("`uri`") }, "\(report.errors)")
        #expect(try report.status == .partial && fixture.pending().pending.isEmpty)
        let tree = (FileManager.default.enumerator(atPath: fixture.scratch.path)?.allObjects as? [String] ?? [])
        #expect(!tree.contains { $0.contains("passwd") || $0.hasSuffix("/y") })
    }

    @Test func aFaxUserMailboxIsReadOnlyWhenFaxesAreArchived() throws {
        let extensions: [JSON] = [["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"],
                                  ["id": 103_000, "extensionNumber": "103", "type": "FaxUser", "status": "Enabled"]]
        for (kinds, read) in [("voicemail,sms", ["101000"]), ("fax", ["101000", "103000"])] {
            let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z", messages: try MessageKinds(parsing: kinds))
            let source = MessageStoreSource(messages: [:], extensions: extensions)
            _ = try fixture.run(source)
            let mailboxes = Set(source.requests.withLock { $0 }.map { String($0.split(separator: " ")[0]) })
            #expect(mailboxes == Set(read), "\(kinds)")
        }
    }

    @Test func aMessageOfAnUnknownTypeIsKeptUnfiledWithAnError() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let chat = MessageShapes.message("7000000088", type: "Chat", created: "2026-11-18T17:00:00.000Z", attachments: [])
        let source = MessageStoreSource(messages: [Self.mailbox: [chat]])
        let report = try fixture.run(source)
        #expect(report.status == .partial && report.errors.count == 1 && report.errors[0].contains("\"Chat\""), "\(report.errors)")
        #expect(DurableFiles.list(fixture.directory + "/_unfiled").count == 1)
    }
}

/// Every file a message sync writes matches its schema in layout-spec/schemas.
@Suite struct MessageSchemaTests {
    @Test func messageSidecarsManifestStateMarkerAndRunLogMatchTheirSchemas() throws {
        let schemas = LayoutSchemaTests()
        let fixture = try MessageFixture(since: "2019-01-01T00:00:00Z", messages: try MessageKinds(parsing: "voicemail,fax,sms,pager"))
        let call = callRecord(id: "CallToVm1", start: "2026-11-18T15:59:30.000Z",
                              extra: [("message", ["id": "7000000007", "type": "VoiceMail", "uri": .string(MessageShapes.base + "/7000000007")])])
        let source = MessageStoreSource(messages: [MessageShapes.mailbox: [
            try JSON.parse(MessageShapes.smsExample), MessageShapes.mms, MessageShapes.faxReceived, MessageShapes.faxSent, MessageShapes.faxFailed,
            MessageShapes.pager, MessageShapes.unknownAttachment, MessageShapes.voicemailOldShape,
        ]], calls: [call], answers: ["7000000033": .init(status: 500, contentType: nil)])
        _ = try fixture.run(source)
        source.changes.withLock { $0[MessageShapes.mailbox] = [["id": .number("7000000002"), "availability": "Purged"]] }
        _ = try fixture.run(source)
        let tenant = fixture.directory
        var seen = Set<String>()
        for relative in try Manifest.sidecarPaths(tenantDirectory: tenant) {
            let sidecar = try JSON.parse(try DurableFiles.read(tenant + "/" + relative))
            let schema = relative.contains("_call.") ? "call-sidecar.schema.json" : relative.contains("_vm.") ? "voicemail-sidecar.schema.json" : "message-sidecar.schema.json"
            seen.insert(schema)
            try schemas.expectValid(sidecar, schema, relative)
        }
        #expect(seen.count == 3)
        var kinds = Set<String>()
        for month in ["2019-05", "2026-11"] {
            for line in try Manifest.currentLines(tenantDirectory: tenant, month: month) {
                let json = try JSON.parse(line)
                kinds.insert(json["kind"]?.stringValue ?? "")
                try schemas.expectValid(json, "manifest-line.schema.json", "manifest line \(line)")
            }
        }
        #expect(kinds == ["call", "message", "messageLink", "voicemail", "transcription", "text", "document", "mms", "attachment"])
        try schemas.expectValid(try JSON.parse(try DurableFiles.read(tenant + "/tenant.json")), "tenant-marker.schema.json", "tenant marker")
        let state = try JSON.parse(try DurableFiles.read(tenant + "/.ringlog/state.json"))
        #expect(state["voicemail"]?["101000"]?["messageTypes"] == ["VoiceMail", "Fax", "SMS", "Pager"])
        try schemas.expectValid(state, "state.schema.json", "state")
        let pending = try JSON.parse(try DurableFiles.read(tenant + "/.ringlog/pending.json"))
        #expect(pending["pending"]?[0]?["kind"] == "document")
        try schemas.expectValid(pending, "pending.schema.json", "pending")
        for line in try schemas.lines(tenant + "/logs/runs.jsonl") { try schemas.expectValid(line, "run-log-line.schema.json", "run log") }
        for line in try schemas.lines(tenant + "/logs/errors.jsonl") { try schemas.expectValid(line, "error-log-line.schema.json", "error log") }
        let runs = try schemas.lines(tenant + "/logs/runs.jsonl")
        #expect(runs[0]["counts"]?["faxes"] == 3 && runs[0]["counts"]?["mms"] == 1 && runs[0]["counts"]?["attachments"] == 11, "\(runs[0])")
    }
}

/// A tree written by revision 3 (examples/demo-archive, real output) stays valid under revision 4,
/// and syncing it again with every kind asked for writes no item file and no manifest line.
@Suite struct RevisionThreeTreeTests {
    @Test func theRevisionThreeExampleTreeVerifiesCleanAndASyncWritesNoItemAgain() throws {
        let scratch = ScratchDirectory()
        let copy = scratch.path + "/demo-archive"
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("examples/demo-archive").path, toPath: copy)
        let root = try ArchiveRoot.open(copy)
        let marker = try #require(try root.tenants(selecting: nil).first)
        let directory = root.tenantDirectory(marker.tenantId)
        let store = root.store(for: marker.tenantId)
        let verified = Verifier.verify(store: store, options: VerifyOptions())
        #expect(verified.problems.isEmpty, "\(verified.problems.map { "\($0.kind) \($0.path) \($0.detail)" })")
        // The double serves what the tree holds: its extensions, call records and voicemail records, verbatim.
        var calls: [JSON] = [], messages: [String: [JSON]] = [:], extensions: [String: JSON] = [:]
        for relative in try Manifest.sidecarPaths(tenantDirectory: directory) {
            let sidecar = try JSON.parse(try DurableFiles.read(directory + "/" + relative))
            let item = try #require(sidecar["archive"]?["item"])
            if let id = item["extensionId"]?.stringValue {
                extensions[id] = ["id": .number(id), "extensionNumber": item["extensionNumber"] ?? .null, "type": "User", "status": "Enabled"]
            }
            if relative.contains("_vm.") {
                messages[item["extensionId"]?.stringValue ?? "", default: []].append(try #require(sidecar["record"]))
            } else {
                calls.append(try #require(sidecar["record"]))
            }
        }
        #expect(!messages.isEmpty && !calls.isEmpty)
        let source = DemoAccountSource(messages: messages, calls: calls, extensions: Array(extensions.values),
                                       syncTime: Timestamp(iso8601: "2026-11-21T18:00:00Z")!)
        func items() throws -> [String: String] {
            var result: [String: String] = [:]
            for path in (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? [])
            where !path.hasPrefix(".ringlog") && !path.hasPrefix("logs") && !DurableFiles.isDirectory(directory + "/" + path) {
                let modified = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + path)[.modificationDate] as? Date)??.timeIntervalSince1970 ?? 0
                result[path] = SHA256Hasher.hex(of: try DurableFiles.read(directory + "/" + path)) + "@\(modified)"
            }
            return result
        }
        let before = try items()
        let report = try SyncEngine(root: root, tenant: marker, source: source).run()
        #expect(report.errors.isEmpty, "\(report.errors)")
        let after = try items()
        // (The demo tree predates `archive.recordings`, §6.6: revision 3's sync adds it to a call sidecar that lacks it.
        // Nothing of revision 4 touches a call or voicemail item.)
        let changed = after.filter { before[$0.key] != $0.value }.keys.sorted()
        #expect(changed.allSatisfy { $0.contains("_call.") }, "\(changed)")
        for path in changed {
            let sidecar = try JSON.parse(try DurableFiles.read(directory + "/" + path))
            let original = try JSON.parse(try DurableFiles.read(repositoryRoot.appendingPathComponent("examples/demo-archive/\(marker.tenantId)/\(path)").path))
            var archive = try #require(sidecar["archive"]?.objectValue)
            archive["recordings"] = nil
            #expect(JSON.object(archive) == original["archive"] && sidecar["record"] == original["record"], "\(path)")
        }
        #expect(after.filter { !$0.key.contains("_call.") } == before.filter { !$0.key.contains("_call.") })
        #expect(source.downloaded.isEmpty)
        // The voicemail streams took a token for every kind and listed the added ones.
        #expect(source.requested.contains { $0.hasSuffix("FSync VoiceMail,Fax,SMS,Pager") })
        #expect(source.requested.contains { $0.hasSuffix("list Fax,SMS,Pager") })
    }
}

/// The demo tree's account.
final class DemoAccountSource: ArchiveSource {
    let inner: MessageStoreSource
    var downloaded: [String] { inner.downloads.withLock { $0 } }
    var requested: [String] { inner.requests.withLock { $0 } }
    init(messages: [String: [JSON]], calls: [JSON], extensions: [JSON], syncTime: Timestamp) {
        inner = MessageStoreSource(messages: messages, calls: calls, extensions: extensions, syncTime: syncTime)
    }
    func accountInfo() throws(RingCentralError) -> AccountInfo {
        do { return try AccountInfo(json: ["id": 400_131_035_678, "uri": "x"]) } catch { throw .invalidResponse(endpoint: "account", reason: "\(error)") }
    }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView, nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        try inner.callLogPage(dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, view: view, nextPageURI: nextPageURI)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> { try inner.callLogSync(request, view: view) }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                     nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        try inner.messagePage(extensionId: extensionId, types: types, dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, nextPageURI: nextPageURI)
    }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try inner.messageSync(extensionId: extensionId, types: types, request)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload { try inner.downloadRecording(contentURI: contentURI, to: descriptor) }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload { try inner.downloadAttachment(uri: uri, to: descriptor) }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}
