import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import Testing

/// Attachment ids RingCentral (or a hostile server) repeats: inside one message, or across messages.
/// Every attachment is archived or is an item error naming it; none is skipped in silence.
@Suite struct AttachmentIdCollisionTests {
    static let mailbox = MessageShapes.mailbox

    /// A voicemail whose audio and transcription carry the same id (the record's own id, as RingCentral
    /// gives its attachments): both are archived, under revision 3's names.
    @Test func aVoicemailsAudioAndTranscriptionSharingAnIdAreBothArchived() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let id = "7000000100"
        let voicemail = MessageShapes.message(id, type: "VoiceMail", created: "2026-11-18T16:00:00.000Z", attachments: [
            MessageShapes.attachment(id, message: id, type: "AudioRecording", contentType: "audio/mpeg"),
            MessageShapes.attachment(id, message: id, type: "AudioTranscription", contentType: "text/plain",
                                     extra: [("uri", .string(MessageShapes.base + "/\(id)/content/transcription"))]),  // its own content URL
        ], extra: [("vmTranscriptionStatus", "Completed")])
        let source = MessageStoreSource(messages: [Self.mailbox: [voicemail]], answers: ["transcription": .init(status: 200, contentType: "text/plain")])
        let report = try fixture.run(source)
        let stem = "101/2026-11-18/20261118T160000Z_vm.\(id)"
        #expect(fixture.itemFiles == [stem + ".json", stem + ".mp3", stem + ".txt"], "\(report.errors)")
        #expect(report.status == .success && report.counts["transcriptions"] == 1, "\(report.errors) \(report.counts)")
    }

    /// Two different attachments of one message with one id and one role cannot both be named: the
    /// second is an item error naming the message and the attachment, not a silent skip.
    @Test func aSecondDifferentAttachmentWithTheSameIdIsAnItemError() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let id = "7000000200"
        let mms = MessageShapes.message(id, type: "SMS", created: "2026-11-18T16:00:00.000Z", attachments: [
            MessageShapes.attachment("7000000201", message: id, type: "MmsAttachment", contentType: "image/jpeg"),
            MessageShapes.attachment("7000000201", message: id, type: "MmsAttachment", contentType: "image/png", extra: [("fileName", "other.png")]),
            MessageShapes.attachment("7000000201", message: id, type: "MmsAttachment", contentType: "image/jpeg"),  // the first again, exactly
        ])
        let report = try fixture.run(MessageStoreSource(messages: [Self.mailbox: [mms]]))
        let stem = "101/2026-11-18/20261118T160000Z_sms.\(id)"
        #expect(fixture.itemFiles == [stem + ".7000000201.jpg", stem + ".json"], "\(report.errors)")
        #expect(report.status == .partial, "\(report.status)")
        #expect(report.errors.count == 1 && report.errors.allSatisfy { $0.contains(id) && $0.contains("7000000201") && $0.contains("attachments[1]") },
                "\(report.errors)")
    }

    /// Two messages whose attachments share an id (older or hostile payloads): each message's
    /// attachment is archived beside it, in the same run, and a failing one waits in the queue for its own message.
    @Test func messagesWhoseAttachmentsShareAnIdEachKeepTheirOwn() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let first = MessageShapes.message("7000000301", type: "SMS", created: "2026-11-18T16:00:00.000Z", attachments: [
            MessageShapes.attachment("1", message: "7000000301", type: "Text", contentType: "text/plain"),
        ])
        let second = MessageShapes.message("7000000302", type: "SMS", created: "2026-11-18T17:00:00.000Z", attachments: [
            MessageShapes.attachment("1", message: "7000000302", type: "Text", contentType: "text/plain"),
        ])
        let report = try fixture.run(MessageStoreSource(messages: [Self.mailbox: [first, second]]))
        let day = "101/2026-11-18/"
        #expect(fixture.itemFiles == [day + "20261118T160000Z_sms.7000000301.1.txt", day + "20261118T160000Z_sms.7000000301.json",
                                      day + "20261118T170000Z_sms.7000000302.1.txt", day + "20261118T170000Z_sms.7000000302.json"],
                "\(report.errors)")
        #expect(report.status == .success && report.counts["attachments"] == 2, "\(report.errors) \(report.counts)")

        // Both failing: each waits in the pending queue for its own message, and both are archived when served.
        let other = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let failing = MessageStoreSource(messages: [Self.mailbox: [first, second]], answers: ["1": .init(status: 503, contentType: nil)])
        let failed = try other.run(failing)
        #expect(failed.status == .partial && failed.errors.count == 2, "\(failed.errors)")
        #expect(try other.pending().pending.map(\.sidecar).sorted() == [day + "20261118T160000Z_sms.7000000301.json",
                                                                         day + "20261118T170000Z_sms.7000000302.json"])
        failing.answers.withLock { $0 = [:] }
        let retried = try other.run(failing) { $0.retryPendingNow = true }
        #expect(retried.status == .success && retried.counts["attachments"] == 2, "\(retried.errors) \(retried.counts)")
        #expect(try other.pending().pending.isEmpty)
    }

    /// `attachments` that is not an array (an object, a string) cannot be read: an item error names
    /// the message and the field; the message is archived, and the run is partial.
    @Test func attachmentsThatAreNotAnArrayAreAnItemError() throws {
        let fixture = try MessageFixture(since: "2026-11-01T00:00:00Z")
        let id = "7000000400"
        var record = MessageShapes.message(id, type: "SMS", created: "2026-11-18T16:00:00.000Z", attachments: []).objectValue!
        record["attachments"] = MessageShapes.attachment("7000000401", message: id, type: "Text", contentType: "text/plain")
        let report = try fixture.run(MessageStoreSource(messages: [Self.mailbox: [.object(record)]]))
        #expect(fixture.itemFiles == ["101/2026-11-18/20261118T160000Z_sms.\(id).json"], "\(report.errors)")
        #expect(report.status == .partial, "\(report.status)")
        #expect(report.errors.count == 1 && report.errors.allSatisfy { $0.contains(id) && $0.contains("attachments") }, "\(report.errors)")
    }
}
