import RinglogSupport

/// The truth's `message` items: every message that exists now, whatever its kind and availability,
/// with every attachment it has had (sha256 and size as served), so a test can check an archive
/// message by message.
enum MessageTruth {
    /// The kind of the voicemail truth items (`voicemail`, `transcription`) an attachment is, deciding
    /// by `type`, and without one by `contentType` as the issue says an archiver must.
    static func voicemailKind(_ attachment: SimAttachment) -> String? {
        switch attachment.type {
        case "AudioRecording": "voicemail"
        case "AudioTranscription": "transcription"
        case nil where attachment.contentType.hasPrefix("audio/"): "voicemail"
        case nil where attachment.contentType.hasPrefix("text/"): "transcription"
        default: nil
        }
    }
}

extension EngineState {
    mutating func messageTruth(_ account: SimAccount, numbers: [String: String?]) -> [JSON] {
        let now = self.now
        var items: [JSON] = []
        for message in account.messages {
            guard let state = message.state(at: now) else { continue }
            var object = JSONObject()
            object["kind"] = "message"
            object["accountId"] = .string(account.id)
            object["extensionId"] = .string(message.extensionId)
            object["extensionNumber"] = (numbers[message.extensionId] ?? nil).map { .string($0) } ?? .null
            object["messageId"] = .string(message.id)
            object["messageType"] = .string(message.type.rawValue)
            object["direction"] = .string(message.direction)
            object["creationTime"] = .string(message.created.iso8601)
            object["lastModifiedTime"] = .string(state.lastModified.iso8601)
            object["availability"] = .string(state.availability)
            object["readStatus"] = .string(state.readStatus)
            object["messageStatus"] = .string(state.messageStatus)
            object["conversationId"] = message.conversationId.map { .string($0) } ?? .null
            object["callId"] = message.callId.map { .string($0) } ?? .null
            object["deletedAt"] = message.deletedAt.map { .string($0.iso8601) } ?? .null
            object["purgedAt"] = message.purgedAt.map { .string($0.iso8601) } ?? .null
            if let pages = message.faxPageCount { object["faxPageCount"] = .int(pages) }
            if let resolution = message.faxResolution { object["faxResolution"] = .string(resolution) }
            let served = Set(message.attachments(at: now).map(\.id))
            object["attachments"] = .array(message.attachments.filter { $0.present(at: now) }.map { attachment in
                let digest = self.digest("attachment/\(account.index)/\(attachment.id)") { attachment.bytes }
                var item = JSONObject()
                item["attachmentId"] = .string(attachment.id)
                item["type"] = attachment.type.map { .string($0) } ?? .null
                item["contentType"] = .string(attachment.contentType)
                item["sha256"] = .string(digest.sha256)
                item["size"] = .int(digest.size)
                // False once purged: the content answers 404 from then on.
                item["served"] = .bool(served.contains(attachment.id))
                return .object(item)
            })
            items.append(.object(object))
        }
        return items
    }
}
