import ArchiveStore
import RinglogSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif
@testable import ringlog

/// Issue 14 point 7: messages are not calls. SMS, MMS, fax, pager and voicemail sidecars (and a
/// message's attachments) beside the calls change no traffic figure: no Erlangs, no offered calls.
@Suite struct MessagesAreNotCallsTests {
    /// Message items of every kind in the report's day folders, written as the sync files them; their
    /// records are given a `startTime` and `duration` that would add traffic if they were read as calls.
    static func addMessages(to archive: HandBuiltArchive) throws {
        let store = try ArchiveRoot.open(archive.root).store(for: archive.tenantId)
        let writer = try store.openWriter()
        defer { writer.close() }
        let kinds: [(MessageKind, String, String)] = [(.sms, "SMS", "2026-11-10T09:31:00.000Z"), (.fax, "Fax", "2026-11-10T09:36:00.000Z"),
                                                      (.pager, "Pager", "2026-11-10T10:05:00.000Z"), (.voicemail, "VoiceMail", "2026-11-10T09:21:00.000Z")]
        for (index, (kind, type, created)) in kinds.enumerated() {
            let start = try #require(Timestamp(iso8601: created))
            let id = "90071992547410\(index)"
            let record: JSON = ["id": .number(id), "type": .string(type), "creationTime": .string(created), "startTime": .string(created),
                                "duration": 1_200, "direction": "Inbound", "result": "Accepted", "from": ["phoneNumber": "+14155550100"],
                                "to": [["phoneNumber": "+16505551000"]], "attachments": [["id": .number(id + "1"), "type": "Text", "contentType": "text/plain"]]]
            let item: JSONObject = ["messageId": .string(id), "extensionFolder": "101", "messageKind": .string(kind.rawValue)]
            var sidecar = Sidecar(kind: kind == .voicemail ? .voicemail : .message, record: record, item: item, startTime: start, archivedAt: Timestamp.now())
            let day = "101/" + ArchiveNames.dayFolder(start)
            let base = try ArchiveNames.attachmentBaseName(kind: kind, created: start, messageId: id, attachmentId: id + "1")
            let temporary = try writer.beginMedia(in: day, baseName: base)
            let bytes = Array("hello".utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(temporary.descriptor, $0.baseAddress, $0.count) }
            sidecar.add(try writer.commitMedia(temporary, fileName: base + ".txt", kind: kind == .voicemail ? .transcription : .text, id: id + "1",
                                               sha256: SHA256Hasher.hex(of: bytes), size: Int64(bytes.count), contentType: "text/plain"))
            try writer.saveSidecar(sidecar, at: day + "/" + (try ArchiveNames.messageSidecarFile(kind: kind, created: start, messageId: id)), changed: true)
        }
    }

    @Test func anArchiveWithMessagesGivesTheSameFiguresAsWithout() throws {
        let calls = try HandBuiltArchive()
        try calls.write(ArchiveReportTests.calls)
        let withMessages = try HandBuiltArchive()
        try withMessages.write(ArchiveReportTests.calls)
        try Self.addMessages(to: withMessages)
        for interval in ["30m", "1h"] {
            let without = try calls.report(interval: interval), with = try withMessages.report(interval: interval)
            #expect(with.intervals == without.intervals, "\(interval): per-interval figures differ")
            #expect(with.totals == without.totals, "\(interval): totals differ")
            #expect(with.scan.skipped == without.scan.skipped, "messages are not skipped calls either: \(with.scan.skipped)")
            #expect(with.scan.sidecarsRead == without.scan.sidecarsRead, "only call sidecars are read")
        }
        // The figures are the known ones (ArchiveReportTests), not two equal wrong ones.
        #expect(try withMessages.report().totals.offeredCalls == 4)
    }
}
