import ArchiveStore
import RingCentral
import RinglogSupport

extension SyncEngine {
    /// Voicemail for every mailbox extension through message-sync: FSync for a token, the message
    /// list from `since` (message-sync does not page), then ISync; MSG-333 is recovered like CLG-101.
    ///
    /// A mailbox the JWT user may not read (`403 CMN-404`, "Attempt to access another extension") is
    /// skipped for the run with one warning naming every such mailbox and how to grant access: not an
    /// item error per message, not a failed run. A mailbox with its own login whose login fails is an
    /// item error of that mailbox only.
    func syncVoicemail() throws {
        var unreadable: [ExtensionInfo] = []
        for ext in extensions.values.sorted(by: { $0.id < $1.id }) where isMailbox(ext) {
            if let interruption = interruption() { throw interruption }  // a signal, or the call-log part failed
            do {
                try syncMailbox(ext)
            } catch let error as RunFatalError {
                throw error
            } catch RingCentralError.http(403, let body?, _) where body.isAnotherExtensionsData {
                guard mailboxSources[ext.id] == nil else {
                    // Its own login is refused too: that JWT is another user's, and the general advice would not help.
                    itemError("voicemail of extension \(ext.id): the JWT given for it in the tenant's secrets file (\"mailboxes\": "
                              + "\"\(ext.id)\") belongs to a user who may not read this mailbox (403 CMN-404 Attempt to access another "
                              + "extension): give it the JWT of the mailbox's own user", ids: ["extensionId": .string(ext.id)])
                    continue
                }
                unreadable.append(ext)
            } catch let error as RingCentralError {
                if case .authenticationFailed = error, mailboxSources[ext.id] != nil {
                    itemError("voicemail of extension \(ext.id): its own login failed: \(error)", ids: ["extensionId": .string(ext.id)])
                    continue
                }
                if case .authenticationFailed = error { throw error }
                if case .transport = error { throw error }
                itemError("voicemail of extension \(ext.id): \(error)", ids: ["extensionId": .string(ext.id)])
            }
        }
        guard !unreadable.isEmpty else { return }
        let named = unreadable.prefix(20).map { ext in ext.extensionNumber.map { "\($0) (id \(ext.id))" } ?? "id \(ext.id)" }
        report.count("mailboxesSkipped", unreadable.count)
        report.warnings.append("voicemail of \(unreadable.count) mailbox(es) not read: RingCentral refuses the JWT user access to them "
                               + "(403 CMN-404 Attempt to access another extension): \(named.joined(separator: ", "))"
                               + (unreadable.count > 20 ? ", …" : "") + ". To archive them, sync with the JWT of a user allowed to read "
                               + "other users' messages, or give each mailbox its own JWT in the tenant's secrets file: "
                               + "\"mailboxes\": {\"<extensionId>\": {\"jwt\": \"…\"}}")
    }

    private func syncMailbox(_ ext: ExtensionInfo) throws {
        let source = self.source(forMailbox: ext.id)
        var stream = state.voicemail[ext.id] ?? StreamState()
        defer { state.voicemail[ext.id] = stream }
        func full(relistFrom: Timestamp) throws {
            let result = try fullSyncRetryingWithoutDateFrom(source, extensionId: ext.id, dateFrom: relistFrom)
            beginPhase("voicemail of \(ext.extensionNumber ?? ext.id), full sync", total: result.records.count)
            try archiveRejected(result.rejected, kind: "message")
            try archiveMessages(result.records, ext: ext, stream: &stream)
            let from = min(relistFrom, stream.backfill?.cursor ?? relistFrom)
            stream.backfill = BackfillRange(from: from, to: result.syncTime.adding(seconds: 1), cursor: from)
            stream.syncToken = result.syncToken
            stream.syncTime = result.syncTime
        }
        func walk() throws {
            guard let range = stream.backfill else { return }
            var next: String?
            repeat {
                let page = try source.voicemailPage(extensionId: ext.id, dateFrom: range.cursor, dateTo: range.to, perPage: 1000,
                                                    nextPageURI: next)
                beginPhase("voicemail of \(ext.extensionNumber ?? ext.id)", total: page.records.count)
                try archiveRejected(page.rejected, kind: "message")
                try archiveMessages(page.records, ext: ext, stream: &stream)
                next = page.nextPageURI
            } while next != nil
            stream.backfill = nil
        }
        if stream.syncToken == nil { try full(relistFrom: since) }
        try walk()
        guard let token = stream.syncToken else { return }
        do {
            let result = try source.voicemailSync(extensionId: ext.id, .incremental(syncToken: token))
            beginPhase("voicemail of \(ext.extensionNumber ?? ext.id), incremental", total: result.records.count)
            try archiveRejected(result.rejected, kind: "message")
            try archiveMessages(result.records, ext: ext, stream: &stream)
            stream.syncToken = result.syncToken
            stream.syncTime = result.syncTime
        } catch RingCentralError.syncTokenRejected(let body, _) {
            report.warnings.append("voicemail sync token of extension \(ext.id) refused (\(body?.summary ?? "rejected")); recovering")
            let mark = stream.highWaterMark ?? since
            try full(relistFrom: max(since, mark.adding(seconds: -options.overlapSeconds)))
            try walk()
        }
        state.voicemail[ext.id] = stream
        try checkpoint()
    }

    /// RingCentral limits some sync `dateFrom`s to the last 30 days: a full sync refused for its
    /// `dateFrom` is asked again without one; the message-store list covers the rest of the history.
    private func fullSyncRetryingWithoutDateFrom(_ source: any ArchiveSource, extensionId: String,
                                                 dateFrom: Timestamp) throws -> SyncResult<MessageRecord> {
        do {
            return try source.voicemailSync(extensionId: extensionId, .full(recordCount: 250, dateFrom: dateFrom))
        } catch {
            guard case .http(400, let body, _) = error, let body, body.names(parameter: "dateFrom") else { throw error }
            logger.notice("message-sync refused dateFrom \(dateFrom.iso8601) (\(body.summary)); full sync without it")
            return try source.voicemailSync(extensionId: extensionId, .full(recordCount: 250, dateFrom: nil))
        }
    }

    private func archiveMessages(_ records: [MessageRecord], ext: ExtensionInfo, stream: inout StreamState) throws {
        for message in records.sorted(by: { $0.creationTime < $1.creationTime }) where (message.type == nil || message.type == "VoiceMail") && isWithinSince(message) {
            try perItem({ ("voicemail \(message.id.prefix(40)) of extension \(ext.id)",
                           ["messageId": .string(String(message.id.prefix(40))), "extensionId": .string(ext.id)]) }) {
                defer { advance() }
                do {
                    try archiveMessage(message, ext: ext)
                } catch let error as ArchiveNames.InvalidIdentifier {
                    try writer.saveUnfiled(kind: "message", record: .object(message.raw), reason: "\(error)")  // cannot be named: kept
                    throw error
                }
                if message.availability != "Purged" && message.availability != "Deleted" { stream.raiseHighWaterMark(message.creationTime) }
            }
        }
    }

    /// `--since` holds: nothing created before it is written. (An ISync notice of a deleted message
    /// carries no creation time; it only updates what is archived.)
    private func isWithinSince(_ message: MessageRecord) -> Bool {
        guard let since = tenant.since else { return true }
        return message.creationTime >= since || message.creationTime.millisecondsSinceEpoch == 0
    }

    private func archiveMessage(_ message: MessageRecord, ext: ExtensionInfo) throws {
        guard try admitsMessage(message, ext: ext) else { return }  // excluded or removed by a pass: nothing reaches the disk
        let messageId = try ArchiveNames.numericId(message.id, field: "message id")
        let isGone = message.availability == "Purged" || message.availability == "Deleted"
        // ISync reports a deleted or purged message by id and availability only (no creation time).
        let existing = isGone && message.creationTime.millisecondsSinceEpoch == 0
            ? nil : try manifest.messageSidecarPath(messageId: messageId, created: message.creationTime)
        guard existing != nil || !isGone else { return }  // nothing of it was archived, nothing to archive now
        var opened = try openSidecar(kind: .voicemail, existing: existing, record: message.raw, idKey: "messageId", id: messageId,
                                     extensionId: ext.id, start: message.creationTime) { folder throws in
            DurableFiles.join(folder, ArchiveNames.dayFolder(message.creationTime),
                              try ArchiveNames.voicemailSidecarFile(created: message.creationTime, messageId: messageId))
        }
        if opened.revised { report.count("messageRevisions") }
        let baseName = try ArchiveNames.voicemailBaseName(created: message.creationTime, messageId: messageId)
        for attachment in message.attachments {
            let kind: MediaEntry.Kind
            switch attachment.type {
            case "AudioRecording": kind = .voicemail
            case "AudioTranscription": kind = .transcription
            case nil:
                // Older message-store payloads carry only a contentType (`audio/x-wav`): decide by it.
                let type = attachment.contentType?.lowercased() ?? ""
                if type.hasPrefix("audio/") { kind = .voicemail } else if type.hasPrefix("text/") { kind = .transcription } else {
                    itemError("voicemail \(messageId): attachment \(attachment.id) has no type and content type \(type.isEmpty ? "none" : type); not archived",
                              ids: ["messageId": .string(messageId)])
                    continue
                }
            default: continue
            }
            guard !opened.sidecar.hasMedia(kind: kind, id: attachment.id) else { continue }
            let attachmentId: String
            do { attachmentId = try ArchiveNames.numericId(attachment.id, field: "attachment id") } catch {
                itemError("voicemail \(messageId): \(error)", ids: ["messageId": .string(messageId)])  // that attachment only
                continue
            }
            let task = MediaTask(kind: kind, mediaId: attachmentId, uri: attachment.uri,
                                 sidecar: opened.relative, baseName: baseName, startTime: message.creationTime, mailbox: ext.id)
            if case .archived(let entry) = try fetch(task) {
                opened.sidecar.add(entry)
                opened.changed = true
            }
        }
        try save(opened)
    }
}
