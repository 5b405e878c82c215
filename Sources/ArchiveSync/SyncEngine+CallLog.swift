import ArchiveStore
import RingCentral
import RinglogSupport

extension SyncEngine {
    /// The account call log: a first FSync for a token, a list-API backfill from `since` (resumable
    /// window by window), then ISync. A refused token is recovered by FSync plus a re-list from the
    /// high-water mark minus the overlap, so nothing is missed; ids make the overlap harmless.
    func syncCallLog() throws {
        var listedEverything = false  // a full sync's backfill reaches the token's time: no reconcile needed
        if state.callLog.syncToken == nil {
            try fullCallLogSync(relistFrom: since)
            listedEverything = true
        }
        try walkCallLogBackfill()
        guard let token = state.callLog.syncToken else { return }
        do {
            let result = try source.callLogSync(.incremental(syncToken: token), view: .detailed)
            beginPhase("call log, incremental", total: result.records.count)
            try archiveRejected(result.rejected, kind: "call")
            try archiveCalls(result.records, repeatsUntilCheckpointed: true)  // the token advances at the checkpoint below
            let previousSync = state.callLog.syncTime
            report.widen(state.callLog.syncTime ?? result.syncTime, result.syncTime)
            state.callLog.syncToken = result.syncToken
            state.callLog.syncTime = result.syncTime
            try checkpoint()
            if listedEverything {
                state.callLog.deepReconciledAt = state.callLog.deepReconciledAt ?? now
            } else {
                try reconcileCallLog(until: result.syncTime, previousSync: previousSync)
            }
        } catch RingCentralError.syncTokenRejected(let body, _) {
            let reason = body?.summary ?? "rejected"
            report.warnings.append("call-log sync token refused (\(reason)); recovering through the list API")
            logger.notice("call-log sync token refused (\(reason)); recovering")
            let mark = Self.recoveryMark(highWaterMark: state.callLog.highWaterMark, previousSync: state.callLog.syncTime, since: since)
            try fullCallLogSync(relistFrom: max(since, mark.adding(seconds: -options.overlapSeconds)))
            try walkCallLogBackfill()
        }
    }

    /// Re-lists the trailing reconcile window (and, once a day, the last days) through the list API:
    /// whatever ISync does not re-send (a recording attached late, a result finalised) is archived
    /// here. One Heavy request per 1000 calls in the window; unchanged records write nothing.
    ///
    /// The window reaches `reconcileHours` back from the *previous* sync's time: a record that was
    /// incomplete when a run met it started at most that long before that run's sync, however far
    /// apart runs are.
    private func reconcileCallLog(until end: Timestamp, previousSync: Timestamp?) throws {
        var hours = options.reconcileHours
        // Due once the interval has passed, less a little slack (an hour at most): a daily cron's run reaches this
        // step a few seconds earlier or later each day, and a strict comparison skipped every other day.
        let interval = options.deepReconcileIntervalHours * 3600
        let deepDue = options.deepReconcileDays > 0
            && state.callLog.deepReconciledAt.map { now.secondsSinceEpoch - $0.secondsSinceEpoch >= interval - min(3600, interval * 0.1) } ?? true
        if deepDue { hours = max(hours, options.deepReconcileDays * 24) }
        guard hours > 0 else { return }
        let to = end.adding(seconds: 1)
        let anchor = min(previousSync ?? end, end).adding(seconds: 1)
        let from = max(since, min(anchor.adding(seconds: -options.reconcileHours * 3600), to.adding(seconds: -hours * 3600)))
        guard from < to else { return }
        // Calls of the regular window (not the deep one) have their recordings' insights asked for again (SyncEngine+Insights.swift).
        insightsRecheckFrom = max(since, anchor.adding(seconds: -options.reconcileHours * 3600))
        var next: String?
        var pageNumber = 1
        repeat {
            var page = try source.callLogPage(dateFrom: from, dateTo: to, perPage: 1000, view: .detailed, nextPageURI: next)
            beginPhase("call log, reconcile \(deepDue ? "(deep) " : "")\(from.iso8601) → \(to.iso8601), page \(pageNumber)", total: page.recordCount)
            pageNumber += 1
            try archiveRejected(page.rejected, kind: "call")
            try archiveCalls(&page)
            try finishPage()
            next = page.nextPageURI
        } while next != nil
        if deepDue { state.callLog.deepReconciledAt = now }
        try checkpoint()
    }

    /// FSync for a fresh token, then schedule a list walk from `relistFrom` up to the token's time
    /// (merged with any backfill still unfinished).
    private func fullCallLogSync(relistFrom: Timestamp) throws {
        let result = try source.callLogSync(.full(recordCount: 250, dateFrom: nil), view: .detailed)
        beginPhase("call log, full sync", total: result.records.count)
        try archiveRejected(result.rejected, kind: "call")
        let from = min(relistFrom, state.callLog.backfill?.cursor ?? relistFrom)
        // FSync returns the newest calls. Those the list walk below will meet again get their media
        // then, in date order, so that downloads run oldest first (closest to RingCentral's deletion).
        try archiveCalls(result.records, fetchMediaBefore: from, repeatsUntilCheckpointed: true)
        state.callLog.backfill = BackfillRange(from: from, to: result.syncTime.adding(seconds: 1), cursor: from)
        state.callLog.syncToken = result.syncToken
        state.callLog.syncTime = result.syncTime
        try checkpoint()
    }

    private func walkCallLogBackfill() throws {
        while var range = state.callLog.backfill {
            guard range.cursor < range.to else {
                state.callLog.backfill = nil
                try checkpoint()
                return
            }
            // Adaptive width: an empty window doubles the next (a long empty history costs a few requests,
            // not one per month), a window that needed more than one page halves it (min. one day).
            let days = range.windowDays ?? options.windowDays
            let end = min(range.to, range.cursor.adding(seconds: Double(days) * 86_400))
            // Page by page: a run holds one page of records, never a whole window.
            var next: String?
            var pageNumber = 1
            var listed = 0
            repeat {
                var page = try source.callLogPage(dateFrom: range.cursor, dateTo: end, perPage: 1000, view: .detailed, nextPageURI: next)
                beginPhase("call log \(ArchiveNames.dayFolder(range.cursor)) → \(ArchiveNames.dayFolder(end)), page \(pageNumber)",
                           total: page.recordCount)
                pageNumber += 1
                listed += page.recordCount + page.rejected.count
                try archiveRejected(page.rejected, kind: "call")
                try archiveCalls(&page, repeatsUntilCheckpointed: true)  // the cursor moves at the window's checkpoint
                try finishPage()
                next = page.nextPageURI
            } while next != nil
            report.widen(range.cursor, end)
            range.cursor = end
            if listed == 0 {
                range.windowDays = min(days * 2, 36_600)
            } else if pageNumber > 2 {
                range.windowDays = max(1, days / 2)
            } else {
                range.windowDays = days
            }
            state.callLog.backfill = range
            try checkpoint()  // the window's items are durable: the cursor may move past them
        }
    }

    /// Writes (or revises) each call's sidecar and downloads its recordings, oldest call first.
    ///
    /// `repeatsUntilCheckpointed`: the listing is a backfill window, FSync or ISync, whose cursor or token
    /// advances only at the checkpoint after it, so a run that stops before that checkpoint is followed by one
    /// that lists these calls again. Then a recording's RingSense request is made durable with that checkpoint
    /// (not before its sidecar, one control-file write per recording), and a call met again whose sidecar
    /// lists a recording that has no insights and no request re-queues it (layout-spec §6.9).
    func archiveCalls(_ records: consuming [CallLogRecord], fetchMediaBefore cutoff: Timestamp? = nil, repeatsUntilCheckpointed: Bool = false) throws {
        // Taken one by one from the end of a reversed copy: a record is released once archived, so a
        // page's parsed JSON shrinks as the page is worked through (the largest allocation of a run).
        var remaining = (consume records).sorted(by: { $0.startTime < $1.startTime })
        remaining.reverse()
        while let record = remaining.popLast() {
            try archiveListedCall(record, fetchMediaBefore: cutoff, repeatsUntilCheckpointed: repeatsUntilCheckpointed)
        }
    }

    /// A page's calls: RingCentral's pages keep their records as bytes, each parsed when taken, in
    /// start-time order (`Page.takeDeferredRecords`); a double's decoded records go through the above.
    func archiveCalls(_ page: inout Page<CallLogRecord>, repeatsUntilCheckpointed: Bool = false) throws {
        guard var records = page.takeDeferredRecords() else {
            return try archiveCalls(page.takeRecords(), repeatsUntilCheckpointed: repeatsUntilCheckpointed)
        }
        while let record = try records.next() { try archiveListedCall(record, fetchMediaBefore: nil, repeatsUntilCheckpointed: repeatsUntilCheckpointed) }
    }

    private func archiveListedCall(_ record: CallLogRecord, fetchMediaBefore cutoff: Timestamp?, repeatsUntilCheckpointed: Bool) throws {
        // `--since` holds everywhere: a full sync's 250 newest can reach further back than it.
        guard tenant.since.map({ record.startTime >= $0 }) ?? true else { return }
        // The disk, the lease or a control file failing stops the run; anything else fails this call only.
        try perItem({ ("call \(String(record.id.prefix(80)).debugDescription)", ["callId": .string(String(record.id.prefix(80)))]) }) {
            do {
                try archiveCall(record, fetchMedia: cutoff.map { record.startTime < $0 } ?? true, repeatsUntilCheckpointed: repeatsUntilCheckpointed)
            } catch let error as ArchiveNames.InvalidIdentifier {
                // The call cannot be named (its id or extension): keep what RingCentral sent.
                try writer.saveUnfiled(kind: "call", record: .object(record.raw), reason: "\(error)")
                throw error
            }
        }
        advance()
    }

    private func archiveCall(_ record: CallLogRecord, fetchMedia: Bool, repeatsUntilCheckpointed: Bool) throws {
        guard try admitsCall(record) else { return }  // excluded or removed by a pass: nothing reaches the disk
        let callId = try ArchiveNames.callId(record.id)
        let existing = try manifest.callSidecarPath(callId: callId, start: record.startTime)
        var opened = try openSidecar(kind: .call, existing: existing, record: record.raw, idKey: "callId", id: callId,
                                     extensionId: record.extensionId, start: record.startTime) { folder throws in
            DurableFiles.join(folder, ArchiveNames.dayFolder(record.startTime),
                              try ArchiveNames.callSidecarFile(start: record.startTime, callId: callId))
        }
        if opened.revised { report.count("callRevisions") }
        // Held across this call's downloads: the insights part does not write it meanwhile.
        sidecarsInUse.insert(opened.relative)
        defer { sidecarsInUse.remove(opened.relative) }
        // Every distinct recording of the record (legs may carry their own, or repeat one on every leg).
        var recordings: [RecordingReference] = []
        for reference in [record.recording].compactMap({ $0 }) + legRecordings(record) where !recordings.contains(where: { $0.id == reference.id }) {
            recordings.append(reference)
        }
        // A recording is stored once, with the first record that referenced it; every record lists
        // what it references (`archive.recordings`), naming the sidecar that holds a recording stored elsewhere.
        var references: [Sidecar.ReferencedRecording] = []
        for reference in recordings {
            if !opened.sidecar.hasMedia(kind: .recording, id: reference.id),
                let home = try recordingHome(reference.id, start: record.startTime), home != opened.relative
            {
                references.append(Sidecar.ReferencedRecording(id: reference.id, storedWith: home))
                continue
            }
            references.append(Sidecar.ReferencedRecording(id: reference.id))
            if opened.sidecar.hasMedia(kind: .recording, id: reference.id) {
                if repeatsUntilCheckpointed { requeueLostInsights(reference.id, of: opened.sidecar, at: opened.relative, start: record.startTime) }
                continue
            }
            guard fetchMedia else { continue }
            // A bad recording id fails that recording only; the call's record is still archived.
            let baseName: String
            do { baseName = try ArchiveNames.recordingBaseName(start: record.startTime, recordingId: reference.id) } catch {
                itemError("call \(callId): \(error)", ids: ["callId": .string(callId)])
                references.removeLast()
                continue
            }
            recordingHomes[reference.id] = opened.relative
            let task = MediaTask(kind: .recording, mediaId: reference.id, uri: reference.contentURI, sidecar: opened.relative,
                                 baseName: baseName, startTime: record.startTime)
            let queueBefore = pendingQueue
            if case .archived(let entry) = try fetch(task) {
                opened.sidecar.add(entry)
                opened.changed = true
                try queueInsightsOfArchivedRecording(reference.id, sidecar: opened.relative, start: record.startTime, queueBefore: queueBefore,
                                                     durableNow: !repeatsUntilCheckpointed)
            }
        }
        if opened.sidecar.setRecordings(references) { opened.changed = true }
        // The voicemail or fax the record links (§6.7): named in `archive.message`, with its sidecar once
        // archived. Written with a new or revised record (or to complete a link), never forcing a rewrite
        // of a call sidecar that is otherwise unchanged.
        if let reference = record.message, let messageId = try? ArchiveNames.numericId(reference.id, field: "message id"),
            opened.isNew || opened.revised || opened.sidecar.messageLink != nil
        {
            var link = opened.sidecar.messageLink?.id == messageId ? opened.sidecar.messageLink! : Sidecar.Link(id: messageId)
            link.type = reference.type
            if link.sidecar == nil { link.sidecar = try manifest.messageSidecarPath(messageId: messageId, near: record.startTime) }
            if link != opened.sidecar.messageLink {
                opened.sidecar.messageLink = link
                opened.changed = true
            }
        }
        try save(opened)
        // The message learns of the call (when it was archived first).
        if let path = opened.sidecar.messageLink?.sidecar, var message = try? writer.loadSidecar(path),
            message.linkCall(Sidecar.Link(id: callId, sidecar: opened.relative))
        {
            try writer.saveSidecar(message, at: path, changed: true)
        }
        // A call the reconcile window re-lists: its recordings' insights may have come, or changed, since.
        if let from = insightsRecheckFrom, record.startTime >= from {
            for reference in references where reference.storedWith == nil && opened.sidecar.hasMedia(kind: .recording, id: reference.id) {
                recheckInsights(reference.id, sidecar: opened.relative, start: record.startTime)
            }
        }
        if opened.isNew { report.count("calls") }
        state.callLog.raiseHighWaterMark(record.startTime)
    }

    /// The sidecar that holds (or, once downloaded, will hold) recording `id`: one this run assigned it
    /// to, the pending queue's, or the manifest's.
    private func recordingHome(_ id: String, start: Timestamp) throws -> String? {
        if let assigned = recordingHomes[id] { return assigned }
        let waits = { (item: PendingItem) in item.kind == .recording && item.mediaId == id }
        if let waiting = pendingQueue.pending.first(where: waits) ?? pendingQueue.quarantined.first(where: waits) { return waiting.sidecar }
        return try manifest.recordingSidecarPath(recordingId: id, near: start)
    }

    /// Recordings on the legs (Detailed view). A leg recording that cannot be used is an item error
    /// naming the leg, never a silent loss.
    private func legRecordings(_ record: CallLogRecord) -> [RecordingReference] {
        guard let legs = record.raw["legs"] else { return [] }
        guard let array = legs.arrayValue else {
            itemError("call \(String(record.id.prefix(80)).debugDescription): `legs` is not an array; its recordings cannot be read",
                      ids: ["callId": .string(String(record.id.prefix(80)))])
            return []
        }
        return array.enumerated().compactMap { index, leg in
            guard let recording = leg["recording"] else { return nil }
            guard let id = recording["id"]?.stringValue ?? recording["id"]?.int64Value.map(String.init),
                let uri = recording["contentUri"]?.stringValue
            else {
                itemError("call \(String(record.id.prefix(80)).debugDescription): legs[\(index)].recording lacks a usable id or contentUri: \(String(recording.serialized().prefix(200)))",
                          ids: ["callId": .string(String(record.id.prefix(80)))])
                return nil
            }
            return RecordingReference(id: id, type: recording["type"]?.stringValue, contentURI: uri)
        }
    }
}
