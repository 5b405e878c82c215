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
}
