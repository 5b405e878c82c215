import ArchiveStore
import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// A media file a sidecar should list but does not yet.
struct MediaTask {
    let kind: MediaEntry.Kind
    let mediaId: String
    var uri: String
    /// Sidecar path relative to the tenant directory; media goes in the same directory.
    let sidecar: String
    /// File name without extension (the extension comes from the Content-Type).
    let baseName: String
    let startTime: Timestamp
    /// The mailbox (extension id) whose login fetches a message attachment; nil: the tenant's login.
    var mailbox: String? = nil
    /// How the file's extension is chosen (§4.5).
    var naming: MediaNaming = .strictAudioOrText
    /// The message a message attachment belongs to (its item errors name it).
    var messageId: String? = nil
    /// The `contentType` the attachment's record declares (what RingCentral serves it with).
    var declaredContentType: String? = nil

    var key: String { PendingItem.key(kind: kind, mediaId: mediaId, sidecar: sidecar) }
    var candidateExtensions: [MediaExtension] {
        switch naming {
        case .strictAudioOrText: kind == .transcription ? [.txt] : [.mp3, .wav]
        case .declared(let fileExtension): [fileExtension]
        case .byResponse: MediaExtension.allCases
        }
    }
    var folder: String { DurableFiles.parentDirectory(of: sidecar) }
}

/// How a media file's extension is chosen (layout-spec §4.5).
enum MediaNaming: Equatable {
    /// Recordings, and a voicemail's audio and transcription under revision 3's names: from the
    /// response's Content-Type, which must be audio (mp3, wav) or text; anything else is refused.
    case strictAudioOrText
    /// Every other message attachment with a `contentType`: from that type (`bin` when unknown).
    case declared(MediaExtension)
    /// A message attachment without `contentType`: from the response's Content-Type (`bin` when unknown).
    case byResponse
}

enum FetchOutcome {
    case archived(MediaEntry)
    /// Not fetched now; kept in the pending queue.
    case deferred
}

extension SyncEngine {
    /// Downloads one media file into place through the writer, or adopts a file a crashed run already
    /// renamed into place. What RingCentral does wrong (404, 5xx, a wrong Content-Type) goes to the
    /// pending queue; what the disk or the lease does wrong stops the run (`RunFatalError`), with no
    /// attempt counted against the item.
    func fetch(_ task: MediaTask) throws -> FetchOutcome {
        if try mediaWasRemoved(task) { return .deferred }  // a pass removed it: never fetched again
        for candidate in task.candidateExtensions {
            let relative = DurableFiles.join(task.folder, task.baseName + "." + candidate.rawValue)
            if let entry = try writer.adoptMedia(at: relative, kind: task.kind, id: task.mediaId, contentType: adoptedContentType(task, candidate)) {
                removePending(task.key)
                return .archived(entry)
            }
        }
        // RingCentral's content URLs are "subject to change": a waiting item is retried at the URL its
        // record gives now, not forever at the one it had when first met.
        let current = strippingAccessTokens(.string(task.uri)).stringValue ?? task.uri
        for index in pendingQueue.pending.indices where pendingQueue.pending[index].key == task.key { pendingQueue.pending[index].uri = current }
        for index in pendingQueue.quarantined.indices where pendingQueue.quarantined[index].key == task.key { pendingQueue.quarantined[index].uri = current }
        // One attempt per item per run: the same call can arrive from FSync, the list and ISync.
        guard attemptedThisRun.insert(task.key).inserted else { return .deferred }
        if let waiting = pendingQueue.pending.first(where: { $0.key == task.key }), !options.retryPendingNow, waiting.nextAttemptAt > now {
            return .deferred  // its backoff has not run out yet
        }
        if pendingQueue.quarantined.contains(where: { $0.key == task.key }) && !options.retryPendingNow { return .deferred }
        // After three stalled transfers in a row the media host is not delivering: leave the rest of
        // this run's media to the next run rather than spend a stall time on each.
        if consecutiveStalls >= 3 {
            park(task, reason: "not attempted: the previous downloads stalled; the next run retries")
            return .deferred
        }
        let temporary = try writer.beginMedia(in: task.folder, baseName: task.baseName)
        let download: MediaDownload
        do {
            download = task.kind == .recording
                ? try source.downloadRecording(contentURI: task.uri, to: temporary.descriptor)
                : try source(forMailbox: task.mailbox).downloadAttachment(uri: task.uri, to: temporary.descriptor)
        } catch {
            let temporaryPath = writer.describe(temporary)
            writer.discard(temporary)
            try writer.check()  // a lost lease aborted the transfer: that is the cause, not RingCentral
            if let interruption = interruption() { throw interruption }  // so did a signal
            if case .transport(let transport, _) = error, transport.kind == .localWriteFailed {
                throw ArchiveIOError("write", temporaryPath, code: transport.localErrno ?? EIO)
            }
            if case .penaltyTooLong = error {
                park(task, reason: "\(error)")  // RingCentral's pause, not the item's fault: no attempt counted
                return .deferred
            }
            if case .authenticationFailed = error {
                // Refused credentials (a mailbox's own JWT revoked): the item waits for them to be fixed,
                // no attempt counted; the refusal is reported once, for the mailbox.
                park(task, reason: "\(error)")
                return .deferred
            }
            if case .transport(let transport, _) = error, transport.kind == .stalled {
                consecutiveStalls += 1
                if consecutiveStalls == 3 {
                    report.warnings.append("three media downloads in a row stalled; the rest of this run's media waits for the next run")
                }
            }
            let notReady: Bool
            if case .http(404, _, _) = error { notReady = true } else { notReady = false }
            postpone(task, reason: notReady ? "not ready (HTTP 404)" : "\(error)")
            return .deferred
        }
        let chosen: MediaExtension?
        switch task.naming {
        case .strictAudioOrText: chosen = MediaExtension(contentType: download.contentType).flatMap { task.candidateExtensions.contains($0) ? $0 : nil }
        case .declared(let fileExtension): chosen = Self.isErrorPage(download.contentType, expected: fileExtension) ? nil : fileExtension
        case .byResponse: chosen = MediaExtension.attachment(contentType: download.contentType)
        }
        guard let fileExtension = chosen else {
            writer.discard(temporary)
            postpone(task, reason: "unexpected Content-Type \(download.contentType ?? "none") for \(task.kind.rawValue) \(task.mediaId)")
            return .deferred
        }
        let entry = try writer.commitMedia(temporary, fileName: task.baseName + "." + fileExtension.rawValue, kind: task.kind,
                                           id: task.mediaId, sha256: download.sha256, size: download.bytes,
                                           contentType: download.contentType ?? contentType(for: fileExtension))
        removePending(task.key)
        // Archived, the file is listed in its sidecar from now on, which every caller checks before fetching: the
        // run need not remember the attempt (a first sync of tens of thousands of files keeps its memory flat).
        attemptedThisRun.remove(task.key)
        consecutiveStalls = 0
        switch task.kind {
        case .recording: report.count("recordings")
        case .voicemail: report.count("voicemails")
        case .transcription: report.count("transcriptions")
        case .text, .document, .mms, .attachment: report.count("attachments")
        case .insights: break  // not a download of this path (RingSense insights are written by their own, issue 14 point 6)
        }
        report.bytes += download.bytes
        advance(items: 0, bytes: download.bytes)
        return .archived(entry)
    }

    private func contentType(for fileExtension: MediaExtension) -> String { fileExtension.contentType }

    /// The type a file a crashed run left is recorded with: the one its record declares when that names the
    /// file's extension (what the download would have been served with: `text/vcard` for a `.bin`,
    /// `audio/x-wav` for a `.wav`), else the extension's (a recording's record declares none).
    private func adoptedContentType(_ task: MediaTask, _ fileExtension: MediaExtension) -> String {
        if let declared = task.declaredContentType, MediaExtension.attachment(contentType: declared) == fileExtension { return declared }
        return contentType(for: fileExtension)
    }

    /// A 200 whose body is an HTML or JSON page where a document, picture or text was declared is
    /// not the attachment (a proxy's or server's error page): it is refused and retried.
    static func isErrorPage(_ contentType: String?, expected: MediaExtension) -> Bool {
        let base = contentType?.split(separator: ";").first.map { String($0).lowercased().filter { $0 != " " } } ?? ""
        return (base == "text/html" || base == "application/json") && expected != .bin
    }

    func removePending(_ key: String) {
        pendingQueue.pending.removeAll { $0.key == key }
        pendingQueue.quarantined.removeAll { $0.key == key }
    }

    /// Keeps the item in the pending queue, due at the next run, without counting an attempt.
    func park(_ task: MediaTask, reason: String) {
        if pendingQueue.quarantined.contains(where: { $0.key == task.key }) { return }  // stays where it is
        if let index = pendingQueue.pending.firstIndex(where: { $0.key == task.key }) {
            pendingQueue.pending[index].lastError = reason
            return
        }
        pendingQueue.pending.append(PendingItem(kind: task.kind, mediaId: task.mediaId, sidecar: task.sidecar, uri: task.uri,
                                                startTime: task.startTime, attempts: 0, firstSeenAt: now, nextAttemptAt: now,
                                                lastError: reason, quarantinedAt: nil))
    }

    /// Backoff doubling from `pendingBaseDelaySeconds`; after `pendingMaximumAttempts`, quarantine.
    func postpone(_ task: MediaTask, reason: String) {
        var item = pendingQueue.pending.first { $0.key == task.key }
            ?? PendingItem(kind: task.kind, mediaId: task.mediaId, sidecar: task.sidecar, uri: task.uri,
                           startTime: task.startTime, attempts: 0, firstSeenAt: now, nextAttemptAt: now, lastError: "", quarantinedAt: nil)
        pendingQueue.pending.removeAll { $0.key == task.key }
        item.attempts += 1
        item.lastError = reason
        let delay = min(options.pendingMaximumDelaySeconds, options.pendingBaseDelaySeconds * Double(1 << min(max(item.attempts - 1, 0), 20)))
        item.nextAttemptAt = now.adding(seconds: delay)
        if item.attempts >= options.pendingMaximumAttempts {
            item.quarantinedAt = now
            item.lastError = "gave up after \(item.attempts) attempts since \(item.firstSeenAt.iso8601): \(reason)"
            pendingQueue.quarantined.removeAll { $0.key == task.key }
            pendingQueue.quarantined.append(item)
            itemError("quarantined \(task.kind.rawValue) \(task.mediaId) of \(task.sidecar): \(item.lastError)",
                      ids: ["kind": .string(task.kind.rawValue), "mediaId": .string(task.mediaId), "sidecar": .string(task.sidecar)])
        } else {
            pendingQueue.pending.append(item)
            if let messageId = task.messageId {
                // A message attachment not archived is never silent: an item error naming the message, the attachment and why.
                itemError("message \(messageId): attachment \(task.mediaId) (\(task.kind.rawValue)) not archived: \(reason); pending, retried after "
                          + item.nextAttemptAt.iso8601, ids: ["messageId": .string(messageId), "attachmentId": .string(task.mediaId)])
            } else if !reason.hasPrefix("not ready") {
                logger.info("\(task.kind.rawValue) \(task.mediaId): \(reason); retry after \(item.nextAttemptAt.iso8601)")
            }
        }
    }

    /// Retries pending items that are due, oldest first (closest to RingCentral's deletion). An item
    /// whose sidecar cannot be read stays pending (an item error says why) until it can.
    func retryPending() throws {
        let due = pendingQueue.pending.filter { $0.kind != .insights && (options.retryPendingNow || $0.nextAttemptAt <= now) }.sorted { $0.startTime < $1.startTime }
        let retryQuarantined = options.retryPendingNow ? pendingQueue.quarantined : []
        if !(due + retryQuarantined).isEmpty { beginPhase("pending media", total: due.count + retryQuarantined.count) }
        for item in due + retryQuarantined {
            defer { advance() }
            try perItem({ ("pending \(item.kind.rawValue) \(item.mediaId)", ["mediaId": .string(item.mediaId), "sidecar": .string(item.sidecar)]) }) {
                guard var sidecar = try writer.loadSidecar(item.sidecar) else {
                    // A pass removed it (`exclude apply`, a purge): it never comes back, nor does the download.
                    if try pendingSidecarWasRemoved(item) { return }
                    throw SidecarError(item.sidecar, "is missing; the pending entry is kept until it is back")
                }
                if sidecar.hasMedia(kind: item.kind, id: item.mediaId) {
                    // A crash after the sidecar listed it but before the flush: its manifest lines are written
                    // here (no other listing may meet this item again), before its entry leaves the queue.
                    try writer.saveSidecar(sidecar, at: item.sidecar, changed: false)
                    removePending(item.key)
                    if item.kind == .recording { recheckInsights(item.mediaId, sidecar: item.sidecar, start: item.startTime) }
                    return
                }
                // The pending item's start instant is the one its name was built from.
                let task: MediaTask
                if item.kind == .recording {
                    task = MediaTask(kind: item.kind, mediaId: item.mediaId, uri: item.uri, sidecar: item.sidecar,
                                     baseName: try ArchiveNames.recordingBaseName(start: item.startTime, recordingId: item.mediaId),
                                     startTime: item.startTime)
                } else {
                    if sidecar.goneAtSource?.availability == "Purged" {  // gone at RingCentral: no retry can fetch it
                        abandonPurgedAttachments(of: sidecar, at: item.sidecar)
                        return
                    }
                    // A message attachment is named from its record, as when it was first met.
                    guard let planned = try attachmentTask(for: item, in: sidecar) else {
                        throw SidecarError(item.sidecar, "its record no longer lists attachment \(item.mediaId); the pending entry is kept")
                    }
                    task = planned
                }
                let queueBefore = pendingQueue
                if case .archived(let entry) = try fetch(task) {
                    sidecar.add(entry)
                    if item.kind == .recording {
                        try queueInsightsOfArchivedRecording(item.mediaId, sidecar: item.sidecar, start: item.startTime, queueBefore: queueBefore)
                    }
                    try writer.saveSidecar(sidecar, at: item.sidecar, changed: true)
                    // Memory holds a page's worth of lines at most, whatever the queue's length.
                    if writer.manifest.unwrittenLineCount >= 1000 { try writer.flush() }
                }
            }
        }
        try checkpoint()
    }

    /// An item's sidecar, found and brought up to date with the record just received.
    struct OpenedSidecar {
        var sidecar: Sidecar
        let relative: String
        /// The file must be (re)written.
        var changed: Bool
        /// No sidecar existed for the item.
        let isNew: Bool
        /// An existing record changed: a new revision.
        let revised: Bool
    }

    /// Finds the item's sidecar (through the manifest, or at its new path where a crashed run left it
    /// before its manifest lines) and applies `record`, or starts a new one at the path `newPath`
    /// builds from the extension folder. An item archived before stays where it is, even if its
    /// extension was renumbered since. A sidecar that exists but cannot be used throws `SidecarError`
    /// (that item fails; the file is never replaced).
    func openSidecar(kind: Sidecar.Kind, existing: String?, record: JSONObject, idKey: String, id: String, extensionId: String?,
                     start: Timestamp, extraItem: JSONObject = JSONObject(), newPath: (String) throws -> String) throws -> OpenedSidecar {
        let verbatim = strippingAccessTokens(.object(record))
        if let existing, var sidecar = try writer.loadSidecar(existing) {
            let changed = sidecar.update(record: verbatim, at: now)
            return OpenedSidecar(sidecar: sidecar, relative: existing, changed: changed, isNew: false, revised: changed)
        }
        let folder = try extensionFolder(extensionId)
        let relative = try newPath(folder)
        if var sidecar = try writer.loadSidecar(relative) {
            let changed = sidecar.update(record: verbatim, at: now)
            return OpenedSidecar(sidecar: sidecar, relative: relative, changed: changed, isNew: false, revised: false)
        }
        var item = JSONObject()
        item["tenantId"] = .string(tenant.tenantId)
        item["accountId"] = tenant.accountId.map { .string($0) } ?? .null
        item[idKey] = .string(id)
        item["extensionId"] = extensionId.map { .string($0) } ?? .null
        item["extensionNumber"] = extensionId.flatMap { extensions[$0]?.extensionNumber }.map { .string($0) } ?? .null
        item["extensionFolder"] = .string(folder)
        for member in extraItem.members { item[member.key] = member.value }
        return OpenedSidecar(sidecar: Sidecar(kind: kind, record: verbatim, item: item, startTime: start, archivedAt: now), relative: relative,
                             changed: true, isNew: true, revised: false)
    }

    /// Writes the sidecar if it changed, then the manifest lines it lacks (the writer's order).
    func save(_ opened: OpenedSidecar) throws {
        try writer.saveSidecar(opened.sidecar, at: opened.relative, changed: opened.changed)
    }
}
