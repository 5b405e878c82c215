import RinglogSupport

/// Message-store records as RingCentral sends them, each naming its source. Ids and times are the
/// verbatim examples' where a test takes one whole; the others follow the spec's schemas
/// (`GetMessageInfoResponse`, `MessageAttachmentInfo`) in ringcentral-openapi.yml.
enum MessageShapes {
    static let mailbox = "101000"
    static let base = "https://platform.ringcentral.com/restapi/v1.0/account/400000000008/extension/101000/message-store"

    /// `../shared/reference/examples/message-store-voicemail-record.json`, verbatim (its `4xxx8` ids in URIs
    /// replaced by the record's own id so the download can be routed).
    static let voicemailExample = #"""
    {
        "uri" : "https://platform.ringcentral.com/restapi/v1.0/account/4xxx8/extension/4xxx8/message-store/402406985008",
        "id" : 402406985008,
        "type" : "VoiceMail",
        "to" : [ {
            "name" : "Jane Smith"
        } ],
        "from" : {
            "phoneNumber" : "+18445558517",
            "name" : "RingCentral"
        },
        "creationTime" : "2018-09-18T09:24:03.000Z",
        "readStatus" : "Unread",
        "priority" : "Normal",
        "attachments" : [ {
            "id" : 402406985008,
            "uri" : "https://platform.ringcentral.com/restapi/v1.0/account/4xxx8/extension/4xxx8/message-store/402406985008/content/402406985008",
            "type" : "AudioRecording",
            "contentType" : "audio/x-wav",
            "vmDuration" : 25
        } ],
        "direction" : "Inbound",
        "availability" : "Alive",
        "messageStatus" : "Received",
        "lastModifiedTime" : "2018-09-18T09:24:03.531Z",
        "vmTranscriptionStatus" : "NotAvailable"
      }
    """#

    /// The same voicemail in the older shape the issue met: the attachment has a `contentType` and no `type`.
    static var voicemailWithoutAttachmentType: JSON {
        var record = try! JSON.parse(voicemailExample).objectValue!
        var attachment = record["attachments"]!.arrayValue![0].objectValue!
        attachment["type"] = nil
        record["attachments"] = .array([.object(attachment)])
        return .object(record)
    }

    /// `../shared/reference/examples/message-store-list-response-sms.json`, its one record verbatim.
    static let smsExample = #"""
    {
        "uri" : "https://platform.ringcentral.com/restapi/v1.0/account/178009004/extension/178009004/message-store/6424569004",
        "id" : 6424569004,
        "to" : [ {
          "phoneNumber" : "+13125559821"
        } ],
        "from" : {
          "phoneNumber" : "+16505558379",
          "location" : "San Mateo, CA"
        },
        "type" : "SMS",
        "creationTime" : "2019-05-22T17:07:28.000Z",
        "readStatus" : "Unread",
        "priority" : "Normal",
        "attachments" : [ {
          "id" : 6424569004,
          "uri" : "https://platform.ringcentral.com/restapi/v1.0/account/178009004/extension/178009004/message-store/6424569004/content/6424569004",
          "type" : "Text",
          "contentType" : "text/plain"
        } ],
        "direction" : "Inbound",
        "availability" : "Alive",
        "subject" : "Test SMS using a RingCentral Developer account - Hello World",
        "messageStatus" : "Received",
        "conversationId" : 8031152018338945839,
        "conversation" : {
          "id" : "8031152018338945839",
          "uri" : "https://platform.ringcentral.com/restapi/v1.0/conversation/8031152018338945839"
        },
        "lastModifiedTime" : "2019-05-22T17:07:28.091Z"
      }
    """#

    static func attachment(_ id: String, message: String, type: String?, contentType: String?, extra: [(String, JSON)] = []) -> JSON {
        var object = JSONObject([("id", .number(id)), ("uri", .string("\(base)/\(message)/content/\(id)"))])
        if let type { object["type"] = .string(type) }
        if let contentType { object["contentType"] = .string(contentType) }
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    /// A message of the spec's shape (`GetMessageInfoResponse`); `extra` adds or overrides fields.
    static func message(_ id: String, type: String, created: String, direction: String = "Inbound", status: String = "Received",
                        from: JSON = ["phoneNumber": "+16505558379"], to: [JSON] = [["phoneNumber": "+13125559821"]],
                        attachments: [JSON], extra: [(String, JSON)] = []) -> JSON {
        var object = JSONObject([
            ("uri", .string("\(base)/\(id)")), ("id", .number(id)), ("to", .array(to)), ("from", from), ("type", .string(type)),
            ("creationTime", .string(created)), ("readStatus", "Unread"), ("priority", "Normal"), ("attachments", .array(attachments)),
            ("direction", .string(direction)), ("availability", "Alive"), ("messageStatus", .string(status)),
            ("lastModifiedTime", .string(created)),
        ])
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    // MARK: Shapes per spec schema (GetMessageInfoResponse / MessageAttachmentInfo), several ages

    /// An MMS: `type: SMS` with a `Text` body and `MmsAttachment`s (spec `MessageAttachmentTypeEnum`,
    /// `height`/`width`/`fileName`), plus a video attachment of the older shape without `type`.
    static let mms = message("7000000001", type: "SMS", created: "2026-11-18T10:00:00.000Z", attachments: [
        attachment("7000000011", message: "7000000001", type: "Text", contentType: "text/plain"),
        attachment("7000000012", message: "7000000001", type: "MmsAttachment", contentType: "image/jpeg",
                   extra: [("fileName", "IMG_0001.jpg"), ("size", 48211), ("height", 1024), ("width", 768)]),
        attachment("7000000013", message: "7000000001", type: nil, contentType: "video/mp4", extra: [("size", 100000)]),
    ], extra: [("conversationId", .number("6015823250778200202")), ("conversation", ["id": "6015823250778200202"])])

    /// A received fax: `faxPageCount`, `faxResolution`, a `RenderedDocument` PDF (spec `FaxResolutionEnum` High).
    static let faxReceived = message("7000000002", type: "Fax", created: "2026-11-18T11:00:00.000Z", attachments: [
        attachment("7000000021", message: "7000000002", type: "RenderedDocument", contentType: "application/pdf"),
    ], extra: [("faxPageCount", 3), ("faxResolution", "High"), ("coverIndex", 0)])

    /// A sent fax, delivered: its `SourceDocument`s (a Word file, a PNG) and the `RenderedDocument` TIFF.
    static let faxSent = message("7000000003", type: "Fax", created: "2026-11-18T12:00:00.000Z", direction: "Outbound", status: "Delivered",
                                 from: ["phoneNumber": "+16505550100", "extensionNumber": "101"],
                                 to: [["phoneNumber": "+14155550177", "name": "Clinic", "messageStatus": "Delivered", "faxErrorCode": "AllSuccess"]],
                                 attachments: [
        attachment("7000000031", message: "7000000003", type: "SourceDocument",
                   contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", extra: [("fileName", "referral.docx")]),
        attachment("7000000032", message: "7000000003", type: "SourceDocument", contentType: "image/png", extra: [("fileName", "scan.png")]),
        attachment("7000000033", message: "7000000003", type: "RenderedDocument", contentType: "image/tiff"),
    ], extra: [("faxPageCount", 2), ("faxResolution", "Low"), ("coverPageText", "Referral")])

    /// A sent fax that failed: `SendingFailed`, and RingCentral gave no rendered document.
    static let faxFailed = message("7000000004", type: "Fax", created: "2026-11-18T13:00:00.000Z", direction: "Outbound", status: "SendingFailed",
                                   to: [["phoneNumber": "+14155550178", "messageStatus": "SendingFailed", "faxErrorCode": "LineBusy"]],
                                   attachments: [
        attachment("7000000041", message: "7000000004", type: "SourceDocument", contentType: "application/pdf"),
    ], extra: [("faxPageCount", 0), ("faxResolution", "High")])

    /// A pager message (extension to extension), `Text` body.
    static let pager = message("7000000005", type: "Pager", created: "2026-11-18T14:00:00.000Z",
                               from: ["extensionNumber": "102", "extensionId": "102000"], to: [["extensionNumber": "101"]], attachments: [
        attachment("7000000051", message: "7000000005", type: "Text", contentType: "text/plain"),
    ], extra: [("subject", "lunch?"), ("pgToDepartment", false)])

    /// An attachment of a type no spec lists yet, with a content type ringlog maps to nothing.
    static let unknownAttachment = message("7000000006", type: "SMS", created: "2026-11-18T15:00:00.000Z", attachments: [
        attachment("7000000061", message: "7000000006", type: "Text", contentType: "text/plain"),
        attachment("7000000062", message: "7000000006", type: "HologramRecording", contentType: "application/x-hologram"),
    ])

    /// A voicemail with its transcription, both without `type` (older shape): audio and text by content type.
    static let voicemailOldShape = message("7000000007", type: "VoiceMail", created: "2026-11-18T16:00:00.000Z", attachments: [
        attachment("7000000007", message: "7000000007", type: nil, contentType: "audio/mpeg", extra: [("vmDuration", 12)]),
        attachment("7000000071", message: "7000000007", type: nil, contentType: "text/plain"),
    ], extra: [("vmTranscriptionStatus", "Completed")])
}
