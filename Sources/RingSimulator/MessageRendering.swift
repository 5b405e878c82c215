import RinglogSupport

/// Message-store records (GetMessageInfoResponse) as of `now`.
extension Renderer {
    func messagePath(_ message: SimMessage) -> String {
        "\(accountURI)/extension/\(message.extensionId)/message-store/\(message.id)"
    }

    /// Attachment `uri`s point at the media host, as the recording `contentUri`s do ([G:basics/media];
    /// the guide's examples also show the platform host, which answers the same path with a 302).
    func attachmentURI(_ message: SimMessage, _ attachment: SimAttachment) -> String {
        "\(mediaURL)\(accountPath)/extension/\(message.extensionId)/message-store/\(message.id)/content/\(attachment.id)"
    }

    /// What message-sync ISync sends for a message that is `Deleted` or `Purged`: "For deleted or
    /// purged messages only message ID and availability status is returned"
    /// [G:messaging/message-store/message-sync].
    func goneMessageRecord(_ message: SimMessage) -> JSON? {
        guard let state = message.state(at: now), state.availability != "Alive" else { return messageRecord(message) }
        return ["id": .number(message.id), "availability": .string(state.availability)]
    }

    /// The full record as of `now`, or nil before the message exists. Field order follows
    /// [EX:message-store-list-response-sms.json] and [EX:message-store-voicemail-record.json].
    func messageRecord(_ message: SimMessage) -> JSON? {
        guard let state = message.state(at: now) else { return nil }
        var object = JSONObject()
        object["uri"] = .string(messagePath(message))
        object["id"] = .number(message.id)
        object["extensionId"] = .string(message.extensionId)
        object["to"] = .array(message.to.map { recipient in
            guard case .object(var party) = party(recipient) else { return party(recipient) }
            if message.type == .fax && message.direction == "Outbound" {
                // MessageStoreCallerInfoResponseTo: a fax recipient's own status and error code.
                party["messageStatus"] = .string(state.messageStatus)
                if let code = message.faxErrorCode, state.messageStatus.hasSuffix("Failed") { party["faxErrorCode"] = .string(code) }
            }
            return .object(party)
        })
        object["from"] = party(message.from)
        object["type"] = .string(message.type.rawValue)
        object["creationTime"] = .string(message.created.iso8601)
        object["readStatus"] = .string(state.readStatus)
        object["priority"] = "Normal"
        object["attachments"] = .array(message.attachments(at: now).map { attachment(message, $0) })
        object["direction"] = .string(message.direction)
        object["availability"] = .string(state.availability)
        if let subject = message.subject { object["subject"] = .string(subject) }
        object["messageStatus"] = .string(state.messageStatus)
        if let pages = message.faxPageCount { object["faxPageCount"] = .int(pages) }
        if let resolution = message.faxResolution { object["faxResolution"] = .string(resolution) }
        if let cover = message.coverIndex { object["coverIndex"] = .int(cover) }
        if let text = message.coverPageText { object["coverPageText"] = .string(text) }
        if message.type == .sms && message.direction == "Outbound" {
            if state.messageStatus == "Delivered", let delivered = message.changes.last(where: { $0.messageStatus == "Delivered" && $0.at <= now }) {
                object["smsDeliveryTime"] = .string(delivered.at.iso8601)
            }
            if state.messageStatus == "DeliveryFailed", let code = message.deliveryErrorCode { object["deliveryErrorCode"] = .string(code) }
            object["smsSendingAttemptsCount"] = .int(1)
        }
        if let segments = message.segmentCount { object["segmentCount"] = .int(segments) }
        if let toDepartment = message.pgToDepartment { object["pgToDepartment"] = .bool(toDepartment) }
        if let conversation = message.conversationId {
            object["conversationId"] = .number(conversation)
            if message.hasConversationObject {
                object["conversation"] = ["id": .string(conversation), "uri": .string("\(baseURL)/restapi/v1.0/conversation/\(conversation)")]
            }
        }
        object["lastModifiedTime"] = .string(state.lastModified.iso8601)
        if message.type == .voiceMail {
            object["vmTranscriptionStatus"] = (message.transcribedAt.map { $0 <= now } ?? false) ? "Completed" : "InProgress"
        }
        return .object(object)
    }

    private func attachment(_ message: SimMessage, _ item: SimAttachment) -> JSON {
        var object = JSONObject()
        object["id"] = .number(item.id)
        object["uri"] = .string(attachmentURI(message, item))
        if let type = item.type { object["type"] = .string(type) }
        object["contentType"] = .string(item.contentType)
        if let vmDuration = item.vmDuration { object["vmDuration"] = .int(vmDuration) }
        object["size"] = .int(item.bytes.count)
        if let name = item.fileName { object["fileName"] = .string(name) }
        if let width = item.width, let height = item.height {
            object["height"] = .int(height)
            object["width"] = .int(width)
        }
        return .object(object)
    }
}
