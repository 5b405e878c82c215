import RinglogSupport

/// The message-store's kinds (the spec's MessageTypeEnum: Fax, SMS, VoiceMail, Pager). An MMS is an
/// `SMS` whose attachments include `MmsAttachment`s, as RingCentral lists it.
enum SimMessageType: String, Sendable, CaseIterable {
    case fax = "Fax", sms = "SMS", voiceMail = "VoiceMail", pager = "Pager"
}

struct SimAttachment: Sendable {
    let id: String
    /// The spec's MessageAttachmentTypeEnum (AudioRecording, AudioTranscription, Text, SourceDocument,
    /// RenderedDocument, MmsAttachment), a type it does not list, or nil: older payloads carry only
    /// `contentType` (the voicemail `audio/x-wav` without `type`).
    var type: String?
    let contentType: String
    let bytes: [UInt8]
    var vmDuration: Int? = nil
    var fileName: String? = nil
    var width: Int? = nil
    var height: Int? = nil
    /// When the attachment joins the message (a transcription arrives late); nil: with the message.
    var appearsAt: Timestamp? = nil

    func present(at now: Timestamp) -> Bool { appearsAt.map { $0 <= now } ?? true }
}

/// One change of a message's state at an instant (only the fields given change).
struct SimMessageChange: Sendable {
    let at: Timestamp
    var readStatus: String? = nil
    var messageStatus: String? = nil
    var availability: String? = nil
}

/// A message's state at an instant.
struct SimMessageState: Sendable, Equatable {
    var readStatus: String
    var messageStatus: String
    /// MessageAvailabilityEnum: `Alive`; `Deleted` "is still preserved with all its attachments and
    /// can be restored"; `Purged` "means that all attachments are already deleted" [SPEC].
    var availability: String
    var lastModified: Timestamp
}

struct SimMessage: Sendable {
    let id: String
    let type: SimMessageType
    /// The mailbox the message is in.
    let extensionId: String
    let extensionNumber: String?
    var direction: String
    let created: Timestamp
    var from: SimParty
    var to: [SimParty]
    /// "For SMS and Pager messages it replicates message text which is also returned as an
    /// attachment" [SPEC GetMessageInfoResponse.subject].
    var subject: String? = nil
    var conversationId: String? = nil
    /// SMS and Pager also carry `conversation {id, uri}` ([EX:message-store-list-response-sms.json]).
    var hasConversationObject = false
    /// The call this message came from (a voicemail's call).
    var callId: String? = nil
    var attachments: [SimAttachment]
    var readStatus = "Unread"
    var messageStatus = "Received"
    /// Ascending, each after `created`.
    var changes: [SimMessageChange] = []
    var transcribedAt: Timestamp? = nil
    var faxPageCount: Int? = nil
    var faxResolution: String? = nil
    var coverIndex: Int? = nil
    var coverPageText: String? = nil
    /// FaxErrorCodeEnum, on the recipient of a failed outbound fax.
    var faxErrorCode: String? = nil
    /// SMS only: the gateway's code for a failed delivery.
    var deliveryErrorCode: String? = nil
    var segmentCount: Int? = nil
    var pgToDepartment: Bool? = nil

    static func voicemail(id: String, conversationId: String, owner: SimExtension, callId: String, created: Timestamp,
                          from: SimParty, vmSeconds: Int, audio: SimAttachment, transcription: SimAttachment,
                          transcribedAt: Timestamp) -> SimMessage {
        SimMessage(id: id, type: .voiceMail, extensionId: owner.id, extensionNumber: owner.number, direction: "Inbound",
                   created: created, from: from,
                   to: [SimParty(phoneNumber: nil, extensionNumber: owner.number, extensionId: owner.id, name: owner.name, location: nil)],
                   conversationId: conversationId, callId: callId, attachments: [audio, transcription], transcribedAt: transcribedAt)
    }

    /// A voicemail's audio and transcription (the first and second attachment).
    var audio: SimAttachment { attachments[0] }
    var transcription: SimAttachment { attachments[1] }

    /// Every instant at which the record changes, ascending.
    var changeTimes: [Timestamp] {
        ([created] + attachments.compactMap(\.appearsAt) + changes.map(\.at)).sorted()
    }

    func state(at now: Timestamp) -> SimMessageState? {
        guard created <= now else { return nil }
        var state = SimMessageState(readStatus: readStatus, messageStatus: messageStatus, availability: "Alive", lastModified: created)
        for attachment in attachments { if let at = attachment.appearsAt, at <= now, at > state.lastModified { state.lastModified = at } }
        for change in changes where change.at <= now {
            if let value = change.readStatus { state.readStatus = value }
            if let value = change.messageStatus { state.messageStatus = value }
            if let value = change.availability { state.availability = value }
            if change.at > state.lastModified { state.lastModified = change.at }
        }
        return state
    }

    func lastModified(at now: Timestamp) -> Timestamp? { state(at: now)?.lastModified }

    /// The attachments listed and served now: none once the message is purged.
    func attachments(at now: Timestamp) -> [SimAttachment] {
        guard let state = state(at: now), state.availability != "Purged" else { return [] }
        return attachments.filter { $0.present(at: now) }
    }

    /// When the message became Deleted and Purged, if it does.
    var deletedAt: Timestamp? { changes.first { $0.availability == "Deleted" }?.at }
    var purgedAt: Timestamp? { changes.first { $0.availability == "Purged" }?.at }
}
