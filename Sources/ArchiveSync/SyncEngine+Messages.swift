import ArchiveStore
import RingCentral
import RinglogSupport

extension SyncEngine {
    /// The tenant's message kinds (voicemail, fax, SMS/MMS, pager) for every mailbox extension
    /// through message-sync: FSync for a token, the message-store list from `since` (message-sync
    /// does not page), then ISync; MSG-333 is recovered like CLG-101. Exactly the tenant's kinds are
    /// asked for; when they change, the stream takes a new token for the new set and lists the added
    /// kinds from `since` (layout-spec §8.1).
    ///
    /// A mailbox the JWT user may not read (`403 CMN-404`, "Attempt to access another extension") is
    /// skipped for the run with one warning naming every such mailbox and how to grant access: not an
    /// item error per message, not a failed run. A mailbox with its own login whose login fails is an
    /// item error of that mailbox only.
    func syncMessages() throws {
        guard !tenant.messageKinds.kinds.isEmpty else { return }  // `--messages none`: calls only
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
                    itemError("messages of extension \(ext.id): the JWT given for it in the tenant's secrets file (\"mailboxes\": "
                              + "\"\(ext.id)\") belongs to a user who may not read this mailbox (403 CMN-404 Attempt to access another "
                              + "extension): give it the JWT of the mailbox's own user", ids: ["extensionId": .string(ext.id)])
                    continue
                }
                unreadable.append(ext)
            } catch let error as RingCentralError {
                if case .authenticationFailed = error, mailboxSources[ext.id] != nil {
                    itemError("messages of extension \(ext.id): its own login failed: \(error)", ids: ["extensionId": .string(ext.id)])
                    continue
                }
                if case .authenticationFailed = error { throw error }
                if case .transport = error { throw error }
                itemError("messages of extension \(ext.id): \(error)", ids: ["extensionId": .string(ext.id)])
            }
        }
        guard !unreadable.isEmpty else { return }
        let named = unreadable.prefix(20).map { ext in ext.extensionNumber.map { "\($0) (id \(ext.id))" } ?? "id \(ext.id)" }
        report.count("mailboxesSkipped", unreadable.count)
        report.warnings.append("messages of \(unreadable.count) mailbox(es) not read: RingCentral refuses the JWT user access to them "
                               + "(403 CMN-404 Attempt to access another extension): \(named.joined(separator: ", "))"
                               + (unreadable.count > 20 ? ", …" : "") + ". To archive them, sync with the JWT of a user allowed to read "
                               + "other users' messages, or give each mailbox its own JWT in the tenant's secrets file: "
                               + "\"mailboxes\": {\"<extensionId>\": {\"jwt\": \"…\"}}")
    }

    /// The `messageType`s a stream's token covers: `messageTypes`, or `VoiceMail` for a stream
    /// written before layout revision 4; nil for a stream without a token.
    static func coveredTypes(_ stream: StreamState) -> [String]? {
        guard stream.syncToken != nil else { return nil }
        return stream.messageTypes ?? [MessageKind.voicemail.apiType]
    }

    private func syncMailbox(_ ext: ExtensionInfo) throws {
        let source = self.source(forMailbox: ext.id)
        let wanted = tenant.messageKinds.apiTypes
        let label = ext.extensionNumber ?? ext.id
        var stream = state.voicemail[ext.id] ?? StreamState()
        defer { state.voicemail[ext.id] = stream }
        /// A list range to walk: merged with an unfinished one (types united, from the earlier start).
        func scheduleList(from: Timestamp, to: Timestamp, types: [String], previouslyCovered: [String]?) {
            var from = from
            var types = Set(types)
            if let range = stream.backfill {
                from = min(from, range.cursor)
                types.formUnion(range.messageTypes ?? previouslyCovered ?? wanted)
            }
            let ordered = wanted.filter(types.contains)  // kinds no longer wanted are not listed
            guard !ordered.isEmpty else {
                stream.backfill = nil
                return
            }
            var range = BackfillRange(from: from, to: to, cursor: from)
            range.messageTypes = ordered == wanted ? nil : ordered
            stream.backfill = range
        }
        func full(relistFrom: Timestamp?, listTypes: [String]) throws {
            let previouslyCovered = Self.coveredTypes(stream)
            let result = try fullSyncRetryingWithoutDateFrom(source, extensionId: ext.id, types: wanted, dateFrom: relistFrom ?? since)
            beginPhase("messages of \(label), full sync", total: result.records.count)
            try archiveRejected(result.rejected, kind: "message")
            try archiveMessages(result.records, ext: ext, stream: &stream)
            if let relistFrom {
                scheduleList(from: relistFrom, to: result.syncTime.adding(seconds: 1), types: listTypes, previouslyCovered: previouslyCovered)
            } else if let range = stream.backfill, range.messageTypes == nil, let previouslyCovered, previouslyCovered != wanted {
                stream.backfill?.messageTypes = wanted.filter(previouslyCovered.contains)  // an unfinished range keeps its own types
            }
            stream.syncToken = result.syncToken
            stream.syncTime = result.syncTime
            stream.messageTypes = wanted
        }
        func walk() throws {
            guard let range = stream.backfill else { return }
            let types = range.messageTypes ?? wanted
            var next: String?
            repeat {
                var page = try source.messagePage(extensionId: ext.id, types: types, dateFrom: range.cursor, dateTo: range.to, perPage: 1000,
                                                  nextPageURI: next)
                beginPhase("messages of \(label)", total: page.recordCount)
                try archiveRejected(page.rejected, kind: "message")
                try archiveMessages(&page, ext: ext, stream: &stream)
                try finishPage()
                next = page.nextPageURI
            } while next != nil
            stream.backfill = nil
        }
        if let covered = Self.coveredTypes(stream), Set(covered) != Set(wanted) {
            // The tenant's kinds changed: a token for the new set, and the added kinds listed from `since`.
            let added = wanted.filter { !covered.contains($0) }
            logger.notice("messages of \(label): kinds changed from \(covered.joined(separator: ",")) to \(wanted.joined(separator: ","))")
            try full(relistFrom: added.isEmpty ? nil : since, listTypes: added)
        } else if stream.syncToken == nil {
            try full(relistFrom: since, listTypes: wanted)
        }
        try walk()
        guard let token = stream.syncToken else { return }
        do {
            let result = try source.messageSync(extensionId: ext.id, types: wanted, .incremental(syncToken: token))
            beginPhase("messages of \(label), incremental", total: result.records.count)
            try archiveRejected(result.rejected, kind: "message")
            try archiveMessages(result.records, ext: ext, stream: &stream)
            stream.syncToken = result.syncToken
            stream.syncTime = result.syncTime
        } catch RingCentralError.syncTokenRejected(let body, _) {
            report.warnings.append("message sync token of extension \(ext.id) refused (\(body?.summary ?? "rejected")); recovering")
            // No later than the previous sync (the server's clock): a record claiming a future creation time must not
            // move the re-listing past what was created since.
            let mark = Self.recoveryMark(highWaterMark: stream.highWaterMark, previousSync: stream.syncTime, since: since)
            try full(relistFrom: max(since, mark.adding(seconds: -options.overlapSeconds)), listTypes: wanted)
            try walk()
        }
        state.voicemail[ext.id] = stream
        try checkpoint()
        Memory.returnFreePages()
    }

    /// Where a refused sync token's recovery re-lists from (less the overlap): the newest creation or start
    /// time archived, but never later than the previous sync's time. A record dated in the future (a hostile or
    /// broken payload) raises the high-water mark past everything created since that sync, which the recovery
    /// would then never list.
    static func recoveryMark(highWaterMark: Timestamp?, previousSync: Timestamp?, since: Timestamp) -> Timestamp {
        let mark = highWaterMark ?? since
        guard let previousSync else { return mark }
        return min(mark, previousSync)
    }

    /// RingCentral limits some sync `dateFrom`s to the last 30 days: a full sync refused for its
    /// `dateFrom` is asked again without one; the message-store list covers the rest of the history.
    private func fullSyncRetryingWithoutDateFrom(_ source: any ArchiveSource, extensionId: String, types: [String],
                                                 dateFrom: Timestamp) throws -> SyncResult<MessageRecord> {
        do {
            return try source.messageSync(extensionId: extensionId, types: types, .full(recordCount: 250, dateFrom: dateFrom))
        } catch {
            guard case .http(400, let body, _) = error, let body, body.names(parameter: "dateFrom") else { throw error }
            logger.notice("message-sync refused dateFrom \(dateFrom.iso8601) (\(body.summary)); full sync without it")
            return try source.messageSync(extensionId: extensionId, types: types, .full(recordCount: 250, dateFrom: nil))
        }
    }

    private func archiveMessages(_ records: consuming [MessageRecord], ext: ExtensionInfo, stream: inout StreamState) throws {
        // ISync reports a deleted or purged message by id and availability alone: found by id, all at once.
        // Released one by one once archived, as the call log's (archiveCalls).
        var remaining = (consume records).sorted(by: { $0.creationTime < $1.creationTime })
        let notices = Set(remaining.filter(\.isGoneNotice).compactMap { try? ArchiveNames.numericId($0.id, field: "message id") })
        let located = notices.isEmpty ? [:] : try manifest.locateMessages(notices)
        remaining.reverse()
        while let message = remaining.popLast() { try archiveListedMessage(message, located: located, ext: ext, stream: &stream) }
    }

    /// A list page's messages: RingCentral's pages keep their records as bytes, each parsed when taken, in
    /// creation-time order (`Page.takeDeferredRecords`); a double's decoded records go through the above.
    /// A gone notice (ISync's shape; a list page has none but a hostile one) is located on its own.
    private func archiveMessages(_ page: inout Page<MessageRecord>, ext: ExtensionInfo, stream: inout StreamState) throws {
        guard var records = page.takeDeferredRecords() else { return try archiveMessages(page.takeRecords(), ext: ext, stream: &stream) }
        while let message = try records.next() {
            let notice = message.isGoneNotice ? (try? ArchiveNames.numericId(message.id, field: "message id")) : nil
            let located = try notice.map { try manifest.locateMessages([$0]) } ?? [:]
            try archiveListedMessage(message, located: located, ext: ext, stream: &stream)
        }
    }

    private func archiveListedMessage(_ message: MessageRecord, located: [String: String], ext: ExtensionInfo, stream: inout StreamState) throws {
        guard isWithinSince(message) else { return }
        try perItem({ ("message \(message.id.prefix(40)) of extension \(ext.id)",
                       ["messageId": .string(String(message.id.prefix(40))), "extensionId": .string(ext.id)]) }) {
            defer { advance() }
            do {
                if message.isGoneNotice {
                    // RingCentral keeps a deleted message, content included, until it is purged: one no run
                    // met before (created and deleted between two runs) is read whole and archived.
                    if located[message.id] == nil, message.availability == "Deleted",
                        let whole = try source(forMailbox: ext.id).message(extensionId: ext.id, id: message.id), !whole.isGoneNotice
                    {
                        guard isWithinSince(whole), let kind = try messageKind(of: whole, ext: ext) else { return }
                        try archiveMessage(whole, kind: kind, ext: ext)
                        return
                    }
                    try recordGoneNotice(message, sidecar: located[message.id])
                    return
                }
                guard let kind = try messageKind(of: message, ext: ext) else { return }
                try archiveMessage(message, kind: kind, ext: ext)
            } catch let error as ArchiveNames.InvalidIdentifier {
                try writer.saveUnfiled(kind: "message", record: .object(message.raw), reason: "\(error)")  // cannot be named: kept
                throw error
            }
            if !message.isGone { stream.raiseHighWaterMark(message.creationTime) }
        }
    }

    /// The kind a record is filed as; nil for a kind the tenant does not archive (RingCentral was
    /// asked for the tenant's kinds only, so such a record is not the tenant's to keep). A record
    /// without `type` is taken by its attachments; one of a type ringlog does not know is kept under
    /// `_unfiled/` with an item error (nothing skipped in silence).
    private func messageKind(of message: MessageRecord, ext: ExtensionInfo) throws -> MessageKind? {
        let kinds = tenant.messageKinds
        let kind: MessageKind
        if let type = message.type {
            guard let known = MessageKind(apiType: type) else {
                guard try admitsMessage(message, ext: ext) else { return nil }
                let kept = try writer.saveUnfiled(kind: "message", record: .object(message.raw), reason: "unknown message type \(type.prefix(40).debugDescription)")
                throw MessageError("its type \(String(type.prefix(40)).debugDescription) is not one ringlog knows (VoiceMail, Fax, SMS, Pager); kept verbatim in \(kept)")
            }
            kind = known
        } else if kinds.kinds.count == 1, let only = kinds.kinds.first {
            kind = only  // only one kind was asked for
        } else {
            let types = message.attachments.map { $0.contentType?.lowercased() ?? "" }
            if message.raw["faxPageCount"] != nil || message.raw["faxResolution"] != nil { kind = .fax }
            else if types.contains(where: { $0.hasPrefix("audio/") }) && message.raw["vmTranscriptionStatus"] != nil { kind = .voicemail }
            else if message.raw["pgToDepartment"] != nil { kind = .pager }
            else if types.contains(where: { $0.hasPrefix("audio/") }) && types.count == 1 { kind = .voicemail }
            else {
                guard try admitsMessage(message, ext: ext) else { return nil }
                let kept = try writer.saveUnfiled(kind: "message", record: .object(message.raw), reason: "message without a type")
                throw MessageError("it has no type and nothing in it says which kind it is; kept verbatim in \(kept)")
            }
        }
        return kinds.contains(kind) ? kind : nil
    }

    /// `--since` holds: nothing created before it is written. (An ISync notice of a deleted message
    /// carries no creation time; it only updates what is archived.)
    private func isWithinSince(_ message: MessageRecord) -> Bool {
        guard let since = tenant.since else { return true }
        return message.creationTime >= since || message.isGoneNotice
    }

    /// An ISync notice (`id` and `availability` only): the archived message's sidecar records that
    /// RingCentral no longer has it; its record and files stay. A notice of a message never archived
    /// (older than `since`, of another kind, excluded, or deleted before any run met it) writes nothing.
    private func recordGoneNotice(_ message: MessageRecord, sidecar relative: String?) throws {
        guard let relative else {
            report.count("goneUnarchived")  // no id: it may be an excluded message's
            return
        }
        guard var sidecar = try writer.loadSidecar(relative) else { return }
        if let availability = message.availability, sidecar.goneAtSource?.availability != availability {
            sidecar.goneAtSource = Sidecar.GoneAtSource(availability: availability, seenAt: now)  // when this availability was first met
            try writer.saveSidecar(sidecar, at: relative, changed: true)
            report.count("messagesGone")
        }
        if message.availability == "Purged" { abandonPurgedAttachments(of: sidecar, at: relative) }
    }

    /// A purged message's attachments that were never archived are gone at RingCentral: each is an
    /// item error naming it, and leaves the pending queue (no retry can fetch it).
    func abandonPurgedAttachments(of sidecar: Sidecar, at relative: String) {
        let messageId = sidecar.item["messageId"]?.stringValue ?? "?"
        for item in pendingQueue.pending + pendingQueue.quarantined where item.sidecar == relative && item.kind != .recording {
            removePending(item.key)
            itemError("message \(messageId): attachment \(item.mediaId) not archived: RingCentral purged the message before ringlog could fetch it "
                      + "(last try: \(item.lastError)); its content is gone at RingCentral", ids: ["messageId": .string(messageId), "attachmentId": .string(item.mediaId)])
        }
    }

    private func archiveMessage(_ message: MessageRecord, kind: MessageKind, ext: ExtensionInfo) throws {
        guard try admitsMessage(message, ext: ext) else { return }  // excluded or removed by a pass: nothing reaches the disk
        let messageId = try ArchiveNames.numericId(message.id, field: "message id")
        let existing = try manifest.messageSidecarPath(messageId: messageId, created: message.creationTime)
        var opened = try openSidecar(kind: kind == .voicemail ? .voicemail : .message, existing: existing, record: message.raw,
                                     idKey: "messageId", id: messageId, extensionId: ext.id, start: message.creationTime,
                                     extraItem: ["messageKind": .string(kind.rawValue)]) { folder throws in
            DurableFiles.join(folder, ArchiveNames.dayFolder(message.creationTime),
                              try ArchiveNames.messageSidecarFile(kind: kind, created: message.creationTime, messageId: messageId))
        }
        if opened.revised { report.count("messageRevisions") }
        // Deleted or Purged: the archive keeps it, and says RingCentral no longer has it.
        let gone = message.isGone ? message.availability : nil
        if gone != opened.sidecar.goneAtSource?.availability {
            opened.sidecar.goneAtSource = gone.map { Sidecar.GoneAtSource(availability: $0, seenAt: now) }
            opened.changed = true
            if gone != nil { report.count("messagesGone") }
        }
        for attachment in message.attachments {
            let role = Self.role(of: attachment, in: kind)
            // One message can repeat an attachment id (older and hostile payloads): repeated verbatim it is one
            // attachment; a different one under an id and kind already taken is an error naming it, never a silent skip.
            if let earlier = message.attachments.first(where: { $0.index < attachment.index && $0.id == attachment.id && Self.role(of: $0, in: kind) == role }) {
                if !earlier.hasSameContent(as: attachment) {
                    itemError("message \(messageId): attachments[\(attachment.index)] (attachment \(attachment.id), \(role.rawValue)) not archived: "
                              + "attachments[\(earlier.index)] has the same id and kind with other content, and ringlog keeps one file per "
                              + "message, attachment id and kind (the sidecar's record keeps what RingCentral sent of both)",
                              ids: ["messageId": .string(messageId), "attachmentId": .string(attachment.id)])
                }
                continue
            }
            if Self.isArchived(attachment, role: role, of: message, kind: kind, in: opened.sidecar) { continue }
            if message.availability == "Purged" {
                itemError("message \(messageId): attachment \(attachment.id) not archived: RingCentral has purged the message (availability Purged); "
                          + "its content is gone at RingCentral", ids: ["messageId": .string(messageId), "attachmentId": .string(attachment.id)])
                continue
            }
            let task: MediaTask
            do {
                task = try Self.attachmentTask(attachment, of: message, kind: kind, messageId: messageId, created: opened.sidecar.startTime,
                                               sidecar: opened.relative, mailbox: ext.id)
            } catch {
                itemError("message \(messageId): attachment \(attachment.id.prefix(40)): \(error)", ids: ["messageId": .string(messageId)])  // that attachment only
                continue
            }
            if case .archived(let entry) = try fetch(task) {
                opened.sidecar.add(entry)
                opened.changed = true
            }
        }
        if message.availability == "Purged" { abandonPurgedAttachments(of: opened.sidecar, at: opened.relative) }
        for reason in message.unusableAttachments {  // nothing to fetch it by: an error, no retry (the record keeps what there is)
            itemError("message \(messageId): \(reason); that attachment is not archived (the sidecar's record keeps what RingCentral sent of it)",
                      ids: ["messageId": .string(messageId)])
        }
        // The links last, after every download: the engine's lock is released inside each request, and a
        // call linking this message may be filed meanwhile by the call-log part (it could not find this
        // sidecar, not yet written); looked up here, with no request between the look-up and the save,
        // its `messageLink` line is seen and both links are made (§6.7).
        if try linkCalls(to: &opened.sidecar, messageId: messageId, at: opened.relative) { opened.changed = true }
        try save(opened)
        if opened.isNew { countNewMessage(kind: kind, message: message) }
    }

    /// Links the calls whose records name this message (their `messageLink` manifest lines), both
    /// ways: the message sidecar lists each call, each call sidecar names the message's (§6.7).
    private func linkCalls(to sidecar: inout Sidecar, messageId: String, at relative: String) throws -> Bool {
        var changed = false
        for callPath in try manifest.callSidecarsLinking(messageId: messageId, near: sidecar.startTime)
        where !sidecar.callLinks.contains(where: { $0.sidecar == callPath }) {
            guard var call = try? writer.loadSidecar(callPath), let callId = call.item["callId"]?.stringValue else { continue }
            if sidecar.linkCall(Sidecar.Link(id: callId, sidecar: callPath)) { changed = true }
            if call.messageLink?.id == messageId, call.messageLink?.sidecar != relative {
                call.messageLink?.sidecar = relative
                try writer.saveSidecar(call, at: callPath, changed: true)
            }
        }
        return changed
    }

    private func countNewMessage(kind: MessageKind, message: MessageRecord) {
        switch kind {
        case .voicemail: break  // counted by its audio ("voicemails"), as before revision 4
        case .fax: report.count("faxes")
        case .pager: report.count("pager")
        case .sms:
            let isMMS = message.attachments.contains { attachment in
                Self.role(of: attachment, in: .sms) == .mms
            }
            report.count(isMMS ? "mms" : "sms")
        }
    }

    /// The sidecar lists (or a pass removed) this attachment: an entry of its id and kind, or, when the
    /// record has one kind of attachment under this id (always so before ids were seen repeated), any
    /// entry of its id, whatever kind it was filed as then.
    static func isArchived(_ attachment: MessageAttachment, role: MediaEntry.Kind, of message: MessageRecord, kind: MessageKind,
                           in sidecar: Sidecar) -> Bool {
        let entries = (sidecar.media + sidecar.removedMedia.map(\.entry)).filter { !$0.isRecordingMedia && $0.id == attachment.id }
        if entries.contains(where: { $0.kind == role }) { return true }
        let roles = Set(message.attachments.filter { $0.id == attachment.id }.map { Self.role(of: $0, in: kind) })
        return roles.count == 1 && !entries.isEmpty
    }

    /// What an attachment is (layout-spec §5.1): its `type` decides; without one, its `contentType`.
    static func role(of attachment: MessageAttachment, in kind: MessageKind) -> MediaEntry.Kind {
        switch attachment.type {
        case "AudioRecording": return .voicemail
        case "AudioTranscription": return .transcription
        case "Text": return .text
        case "SourceDocument", "RenderedDocument": return .document
        case "MmsAttachment": return .mms
        case .some: return .attachment
        case nil:
            let type = attachment.contentType?.split(separator: ";").first.map { $0.lowercased().filter { $0 != " " } } ?? ""
            if type.hasPrefix("audio/") && kind == .voicemail { return .voicemail }
            if type == "text/plain" { return kind == .voicemail ? .transcription : .text }
            if kind == .fax && (type == "application/pdf" || type == "image/tiff" || type == "image/tif") { return .document }
            if type.hasPrefix("image/") || type.hasPrefix("video/") || type.hasPrefix("audio/") { return .mms }
            return .attachment
        }
    }

    /// The download of one attachment: its kind, name and how its extension is chosen (§4.4, §4.5).
    /// A voicemail's one audio and one transcription keep revision 3's names `<T>_vm.<messageId>.<ext>`
    /// (existing archives stay valid); every other attachment is `<T>_<prefix>.<messageId>.<attachmentId>.<ext>`.
    static func attachmentTask(_ attachment: MessageAttachment, of message: MessageRecord, kind: MessageKind, messageId: String,
                               created: Timestamp, sidecar: String, mailbox: String?) throws -> MediaTask {
        let attachmentId = try ArchiveNames.numericId(attachment.id, field: "attachment id")
        let role = Self.role(of: attachment, in: kind)
        let sameRole = Set(message.attachments.filter { Self.role(of: $0, in: kind) == role }.map(\.id)).count  // a verbatim repeat is one
        let baseName: String
        let naming: MediaNaming
        if kind == .voicemail && (role == .voicemail || role == .transcription) && sameRole == 1 {
            baseName = try ArchiveNames.voicemailBaseName(created: created, messageId: messageId)
            naming = .strictAudioOrText
        } else {
            baseName = try ArchiveNames.attachmentBaseName(kind: kind, created: created, messageId: messageId, attachmentId: attachmentId)
            naming = attachment.contentType.map { .declared(MediaExtension.attachment(contentType: $0)) } ?? .byResponse
        }
        return MediaTask(kind: role, mediaId: attachmentId, uri: attachment.uri, sidecar: sidecar, baseName: baseName,
                         startTime: created, mailbox: mailbox, naming: naming, messageId: messageId,
                         declaredContentType: attachment.contentType)
    }

    /// A pending attachment's task, rebuilt from its sidecar's record (named as when first met).
    /// Nil when the record no longer lists it.
    func attachmentTask(for item: PendingItem, in sidecar: Sidecar) throws -> MediaTask? {
        guard let record = try? MessageRecord(json: sidecar.record), let kind = sidecar.messageKind,
            let attachment = record.attachments.first(where: { $0.id == item.mediaId && Self.role(of: $0, in: kind) == item.kind })
                ?? record.attachments.first(where: { $0.id == item.mediaId }),
            let messageId = sidecar.item["messageId"]?.stringValue
        else { return nil }
        // The name was built from the creation instant the sidecar is filed under.
        var task = try Self.attachmentTask(attachment, of: record, kind: kind, messageId: messageId, created: sidecar.startTime,
                                           sidecar: item.sidecar, mailbox: sidecar.item["extensionId"]?.stringValue)
        task.uri = item.uri
        return task
    }
}

/// Why a message record was not archived (its item error).
struct MessageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension MessageAttachment {
    /// The same attachment, wherever it stands in the record.
    func hasSameContent(as other: MessageAttachment) -> Bool {
        id == other.id && uri == other.uri && type == other.type && contentType == other.contentType && size == other.size
    }
}

extension MessageRecord {
    /// RingCentral no longer has the message (`Deleted` can still be restored; `Purged` cannot).
    var isGone: Bool { availability == "Purged" || availability == "Deleted" }
    /// An ISync notice of a deleted or purged message: its id and availability, no creation time.
    var isGoneNotice: Bool { isGone && creationTime.millisecondsSinceEpoch == 0 }
}
