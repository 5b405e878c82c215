import ArchiveStore
import RingCentral
import RinglogSupport

/// RingSense insights (transcript, summary, highlights, next steps, AI notes) of archived recordings.
///
/// The call-log part queues a request when it archives a recording, and again when the reconcile
/// window re-lists a call whose recording it holds (insights arrive late and RingCentral revises
/// them); a part of its own asks (Light), so the recordings (Heavy) never wait for it. The queue is
/// `pending.json`'s `insights` list (§8.2): a request not yet made is there for the next run, and a
/// recording archived now is written there before its sidecar lists it, so a crash at any instant
/// leaves it queued or re-derivable (layout-spec §6.9). Each answer is archived verbatim beside the
/// recording, every changed body a new file; an identical one writes nothing.
extension SyncEngine {
    /// How long after a call its recording's insights are asked for again. RingSense produces them
    /// minutes to hours after the call, and most recordings never get any: a recording without
    /// insights a week after its call will not get them, and asking on would spend the Light budget
    /// (shared with message sync) on recordings that never will. The first request, when the recording
    /// is archived, is made whatever the call's age: a backfill of a licensed account finds the
    /// insights RingSense made back then.
    static let insightsAskSeconds = 7.0 * 86_400
    /// After "not ready": 30 minutes, four times longer each time, at most a day (about eight requests
    /// over the seven days for a recording that never gets insights).
    static let insightsFirstDelaySeconds = 1_800.0
    static let insightsMaximumDelaySeconds = 86_400.0
    /// The shortest wait before archived insights are asked for again (a revision).
    static let insightsRevisionCheckSeconds = 6.0 * 3600

    var insightsSetting: InsightsSetting { tenant.insights ?? .auto }

    /// At the start of a run: `off` empties the queue (never asked); a source that cannot ask RingSense asks nothing.
    func prepareInsights() {
        insightsOff = nil
        insightsQueueClosed = false
        if insightsSetting == .off {
            insightsOff = "the tenant's setting is off"
            pendingQueue.insights = []
        } else if !source.servesInsights {
            insightsOff = "this source does not serve RingSense"
        }
    }

    func isPastInsightsBound(_ start: Timestamp) -> Bool {
        now.secondsSinceEpoch > start.secondsSinceEpoch + Self.insightsAskSeconds
    }

    /// Recording `recordingId` was just archived (downloaded or adopted) for `sidecar`, which does not
    /// list it yet: its insights are queued. `durableNow`: the queue is made durable now, before the
    /// sidecar is written, so a crash after that cannot lose the request, and one before it leaves a
    /// recording file the next run adopts (which queues it again); `queueBefore` is the queue as it was
    /// before the recording was fetched: its own pending entry (which the fetch removed) stays on disk
    /// until the sidecar lists the recording, or a crash in between would leave the file to no one.
    /// Without `durableNow` (a listing the next run repeats until it is checkpointed) the request is
    /// durable with that checkpoint, and `requeueLostInsights` re-derives one a crash lost.
    func queueInsightsOfArchivedRecording(_ recordingId: String, sidecar: String, start: Timestamp, queueBefore: PendingQueue,
                                          durableNow: Bool = true) throws {
        guard insightsOff == nil else { return }
        queueInsights(recordingId, sidecar: sidecar, start: start)
        guard durableNow else { return }
        var durable = pendingQueue
        let key = MediaEntry.Kind.recording.rawValue + ":" + recordingId
        durable.pending += queueBefore.pending.filter { $0.key == key && !durable.pending.contains($0) }
        durable.quarantined += queueBefore.quarantined.filter { $0.key == key && !durable.quarantined.contains($0) }
        try writer.checkpoint(state: state, pending: durable)
    }

    /// A listing the next run repeats until it is checkpointed met again a call whose sidecar lists
    /// recording `recordingId`: if the recording has no insights archived, no request queued and none
    /// made in this run, the request a crash lost (made durable only with the checkpoint that did not
    /// come) is queued again. At worst a recording asked before, which had none, is asked once more.
    func requeueLostInsights(_ recordingId: String, of sidecar: Sidecar, at path: String, start: Timestamp) {
        guard insightsOff == nil, !attemptedThisRun.contains("insights:" + recordingId),
            !pendingQueue.insights.contains(where: { $0.mediaId == recordingId }),
            !sidecar.removedMedia.map(\.entry).contains(where: { $0.kind == .insights && $0.id == recordingId })
        else { return }
        guard sidecar.media.contains(where: { $0.kind == .insights && $0.id == recordingId }) else {
            return queueInsights(recordingId, sidecar: path, start: start)
        }
        // Answered by the run that crashed: the entry waiting for its revision check (checkForRevisionLater) was in
        // memory only, like the request. Scheduled again as that check would have been, while the call is young.
        guard let next = revisionCheckTime(start: start) else { return }
        pendingQueue.insights.append(insightsEntry(recordingId, sidecar: path, start: start, attempts: 1, nextAttemptAt: next))
    }

    /// A new entry of the insights queue (§8.2).
    private func insightsEntry(_ recordingId: String, sidecar: String, start: Timestamp, attempts: Int, nextAttemptAt: Timestamp) -> PendingItem {
        PendingItem(kind: .insights, mediaId: recordingId, sidecar: sidecar,
                    uri: "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/\(recordingId)/insights",
                    startTime: start, attempts: attempts, firstSeenAt: now, nextAttemptAt: nextAttemptAt, lastError: "", quarantinedAt: nil)
    }

    /// The reconcile window re-listed a call holding recording `recordingId`: ask again (late or revised
    /// insights), once per run, while the call is within the bound.
    func recheckInsights(_ recordingId: String, sidecar: String, start: Timestamp) {
        guard insightsOff == nil, !isPastInsightsBound(start), !attemptedThisRun.contains("insights:" + recordingId) else { return }
        queueInsights(recordingId, sidecar: sidecar, start: start)
    }

    private func queueInsights(_ recordingId: String, sidecar: String, start: Timestamp) {
        if let index = pendingQueue.insights.firstIndex(where: { $0.mediaId == recordingId }) {
            if pendingQueue.insights[index].nextAttemptAt > now { pendingQueue.insights[index].nextAttemptAt = now }
        } else {
            pendingQueue.insights.append(insightsEntry(recordingId, sidecar: sidecar, start: start, attempts: 0, nextAttemptAt: now))
        }
        engineLock.broadcast()
    }

    /// Ends the call-log part's queueing: the insights part finishes what is due and stops.
    func closeInsightsQueue() {
        insightsQueueClosed = true
        engineLock.broadcast()
    }

    // MARK: The insights part

    /// Asks for every due insights request, waiting (lock released) for the call-log part to queue
    /// more until it has finished.
    func syncInsights() throws {
        while true {
            if let interruption = interruption() { throw interruption }
            guard insightsOff == nil else { return }
            guard let item = pendingQueue.insights.first(where: isDueInsights) else {
                if insightsQueueClosed { return }
                engineLock.wait(seconds: 0.25)
                continue
            }
            // Once per run whatever happens (a sidecar that cannot be read fails the item, and must not be tried again at once).
            attemptedThisRun.insert(item.key)
            try perItem({ ("recording \(item.mediaId) (\(item.sidecar)): RingSense insights",
                           ["kind": "insights", "recordingId": .string(item.mediaId), "sidecar": .string(item.sidecar)]) }) {
                try askInsights(item)
            }
        }
    }

    private func isDueInsights(_ item: PendingItem) -> Bool {
        (options.retryPendingNow || item.nextAttemptAt <= now) && !attemptedThisRun.contains(item.key) && !sidecarsInUse.contains(item.sidecar)
    }

    private func dropInsights(_ recordingId: String) {
        pendingQueue.insights.removeAll { $0.mediaId == recordingId }
    }

    /// The recording of `item` as its sidecar lists it now, if it is still archived and may be asked about.
    private func archivedRecording(_ item: PendingItem) throws -> (Sidecar, MediaEntry)? {
        // Its call's sidecar gone (a pass removed it; a crash before its first write, which the call's next
        // listing redoes and queues again), or the recording not (any more) in it: nothing to ask about.
        guard let sidecar = try writer.loadSidecar(item.sidecar),
            let recording = sidecar.media.first(where: { $0.kind == .recording && $0.id == item.mediaId })
        else { return nil }
        // Insights a pass removed (retention's own `insights` period, §14; an exclusion) are not archived
        // again: their tombstone, by recording id, says so whatever revision it names.
        if let governance, try governance.isRemoved(kind: .insights, id: item.mediaId, start: item.startTime) {
            countSkipped("tombstoned", key: item.key)
            return nil
        }
        // A rule added since the call was archived: the exclusion pass will remove it; nothing more is written for it.
        if let governance, governance.exclusion(of: sidecar.record, extensionFolder: sidecar.item["extensionFolder"]?.stringValue) != nil {
            return nil
        }
        return (sidecar, recording)
    }

    private func askInsights(_ item: PendingItem) throws {
        guard let (listed, _) = try archivedRecording(item) else {
            attemptedThisRun.remove(item.key)  // the call's listing may queue it again in this run (a crash before its sidecar)
            return dropInsights(item.mediaId)
        }
        // Asked before and now past the bound: stop, without an error (most recordings never get insights). The
        // last request may have written a revision whose manifest line a crash lost: no later request will add it.
        if item.attempts > 0 && isPastInsightsBound(item.startTime) {
            try writer.saveSidecar(listed, at: item.sidecar, changed: false, durableNow: true)
            return giveUpInsights(item, reason: item.lastError)
        }
        let answer: RecordingInsights?
        do {
            answer = try source.recordingInsights(recordingId: item.mediaId)
        } catch {
            return try insightsRequestFailed(error, item: item)
        }
        guard let answer else { return postponeInsights(item, reason: "not ready (HTTP 404)") }
        if let claimed = answer.object["sourceRecordId"].flatMap(Self.idText), claimed != item.mediaId {
            return postponeInsights(item, reason: "RingSense answered with the insights of recording \(String(claimed.prefix(40)).debugDescription)")
        }
        // The call-log part may have opened this sidecar while the request was out: leave it the sidecar, ask again later.
        guard !sidecarsInUse.contains(item.sidecar) else {
            attemptedThisRun.remove(item.key)
            return
        }
        // Read again under the lock (nothing goes to the network from here to the write): what the other parts wrote meanwhile stays.
        guard let (sidecar, recording) = try archivedRecording(item) else { return dropInsights(item.mediaId) }
        var current = sidecar
        try archiveInsights(answer, into: &current, at: item.sidecar, recording: recording)
        checkForRevisionLater(item)
    }

    /// Archived (or the same again): RingSense may still revise them while the call is young, and a
    /// run's reconcile window (a few hours back) does not reach a revision made a day later. So the
    /// request stays queued: asked again after as long as the call's age (at least 6 hours, at most a
    /// day), until the bound — about eight more requests over the week, none once the call is older.
    /// `lastError` stays empty: dropped at the bound in silence.
    private func checkForRevisionLater(_ item: PendingItem) {
        var next = item
        next.attempts += 1
        next.lastError = ""
        guard let time = revisionCheckTime(start: item.startTime) else { return dropInsights(item.mediaId) }
        next.nextAttemptAt = time
        replaceInsightsEntry(with: next)
    }

    /// When archived insights of a call started at `start` are asked for again: after as long as the call's
    /// age (at least 6 hours, at most a day); nil when that is past the bound.
    private func revisionCheckTime(start: Timestamp) -> Timestamp? {
        let age = now.secondsSinceEpoch - start.secondsSinceEpoch
        let time = now.adding(seconds: min(Self.insightsMaximumDelaySeconds, max(Self.insightsRevisionCheckSeconds, age)))
        return time.secondsSinceEpoch <= start.secondsSinceEpoch + Self.insightsAskSeconds ? time : nil
    }

    /// Writes `answer` as the recording's next insights revision, unless it is the latest one again.
    private func archiveInsights(_ answer: RecordingInsights, into sidecar: inout Sidecar, at path: String, recording: MediaEntry) throws {
        let folder = DurableFiles.parentDirectory(of: path)
        let base = Self.baseName(of: recording.file)
        func revision(_ entry: MediaEntry) -> Int? {
            if case .insights(let number) = ItemFileName(entry.file) { return number }
            return nil
        }
        let ofRecording = { (entry: MediaEntry) in entry.kind == .insights && entry.id == recording.id }
        var latestRevision = (sidecar.media + sidecar.removedMedia.map(\.entry)).filter(ofRecording).compactMap(revision).max() ?? 0
        // Revisions a crashed run renamed into place before its sidecar listed them: complete (only fsynced
        // files get final names), so adopted as they are, in order.
        var adopted = false
        while latestRevision < ArchiveNames.insightsRevisions.upperBound,
            let entry = try writer.adoptMedia(at: DurableFiles.join(folder, ArchiveNames.insightsFile(recordingBase: base, revision: latestRevision + 1)),
                                              kind: .insights, id: recording.id, contentType: TenantWriter.insightsContentType)
        {
            sidecar.add(entry)
            latestRevision += 1
            adopted = true
            report.count(latestRevision == 1 ? "insights" : "insightsRevised")
        }
        let body = Self.storedBody(answer)
        if let latest = sidecar.media.filter(ofRecording).max(by: { (revision($0) ?? 0) < (revision($1) ?? 0) }),
            try sameInsights(body, as: latest, in: folder)
        {
            // Nothing new; a sidecar a crash left without its manifest lines gets them here.
            try writer.saveSidecar(sidecar, at: path, changed: adopted, durableNow: true)
            return
        }
        guard latestRevision < ArchiveNames.insightsRevisions.upperBound else {
            throw SidecarError(path, "recording \(recording.id) has \(latestRevision) insights revisions, the most a name can carry")
        }
        let revisionNumber = latestRevision + 1
        let entry = try writer.commitInsights(body, fileName: ArchiveNames.insightsFile(recordingBase: base, revision: revisionNumber),
                                              in: folder, recordingId: recording.id)
        sidecar.add(entry)
        try writer.saveSidecar(sidecar, at: path, changed: true, durableNow: true)  // this part never flushes (nor checkpoints)
        report.count(revisionNumber == 1 ? "insights" : "insightsRevised")
        report.bytes += entry.size
    }

    /// The same bytes, or the same JSON (members in the same order, number literals as written).
    private func sameInsights(_ body: [UInt8], as entry: MediaEntry, in folder: String) throws -> Bool {
        if SHA256Hasher.hex(of: body) == entry.sha256 { return true }
        guard let stored = try DurableFiles.readIfPresent(store.path(DurableFiles.join(folder, entry.file))),
            let storedJSON = try? JSON.parse(stored), let newJSON = try? JSON.parse(body)
        else { return false }
        return storedJSON == newJSON
    }

    /// RingCentral's bytes as they came; re-serialised only when a URL in them carried an access token (§6.3).
    static func storedBody(_ answer: RecordingInsights) -> [UInt8] {
        let stripped = strippingAccessTokens(.object(answer.object))
        return stripped == .object(answer.object) ? answer.bytes : stripped.serializedBytes(.pretty) + [0x0A]
    }

    /// `<T>_<recordingId>` of a recording file name (`<T>_<recordingId>.mp3`).
    static func baseName(of file: String) -> String {
        guard let dot = file.lastIndex(of: ".") else { return file }
        return String(file[..<dot])
    }

    static func idText(_ value: JSON) -> String? {
        value.stringValue ?? value.int64Value.map(String.init)
    }

    // MARK: Failures

    private func insightsRequestFailed(_ error: RingCentralError, item: PendingItem) throws {
        try writer.check()  // a lost lease aborted the request: that is the cause
        if let interruption = interruption() { throw interruption }
        attemptedThisRun.remove(item.key)  // nothing was learnt about this recording
        if let why = error.ringSenseUnavailability { return ringSenseUnavailable(why) }
        switch error {
        case .penaltyTooLong:
            insightsOff = "\(error)"
            report.warnings.append("RingSense insights stopped for this run: \(error)")
        case .authenticationFailed:
            insightsOff = "\(error)"  // the refused login is the run's failure, reported once by the part that met it first
        default:
            attemptedThisRun.insert(item.key)
            postponeInsights(item, reason: "\(error)")
        }
    }

    /// The app lacks the RingSense permission, or the account the licence: no more requests this run.
    /// `auto`: one warning, and the queue is emptied (a licence added later is met by new recordings);
    /// `on`: one item error (the admin asked for them), the queue kept for when it is fixed.
    private func ringSenseUnavailable(_ why: String) {
        insightsOff = why
        if insightsSetting == .on {
            itemError("RingSense insights (tenant setting --insights on) are refused for this account: \(why); none asked for in the rest of this run",
                      ids: ["kind": "insights"])
        } else {
            report.warnings.append("RingSense insights not available for this account: \(why); set `--insights off` "
                                   + "(ringlog tenant set \(tenant.tenantId) --insights off) to stop asking")
            pendingQueue.insights = []
        }
        logger.notice("tenant \(tenant.tenantId): RingSense insights not available: \(why)")
    }

    /// Asks again later with backoff; past the bound the request is dropped (with one item error when
    /// the last answer was a failure rather than "not ready").
    private func postponeInsights(_ item: PendingItem, reason: String) {
        var next = item
        next.attempts += 1
        next.lastError = reason
        let delay = min(Self.insightsMaximumDelaySeconds, Self.insightsFirstDelaySeconds * Double(1 << min(2 * (next.attempts - 1), 40)))
        next.nextAttemptAt = now.adding(seconds: delay)
        guard next.nextAttemptAt.secondsSinceEpoch <= item.startTime.secondsSinceEpoch + Self.insightsAskSeconds else {
            return giveUpInsights(next, reason: reason)
        }
        replaceInsightsEntry(with: next)
        if !reason.hasPrefix("not ready") { logger.info("insights of recording \(item.mediaId): \(reason); asked again after \(next.nextAttemptAt.iso8601)") }
    }

    /// Puts `item` in the insights queue in place of its recording's entry, or at the end when there is none.
    private func replaceInsightsEntry(with item: PendingItem) {
        if let index = pendingQueue.insights.firstIndex(where: { $0.mediaId == item.mediaId }) {
            pendingQueue.insights[index] = item
        } else {
            pendingQueue.insights.append(item)
        }
    }

    private func giveUpInsights(_ item: PendingItem, reason: String) {
        dropInsights(item.mediaId)
        guard !reason.isEmpty, !reason.hasPrefix("not ready") else { return }
        // An entry kept for a revision check (§6.9) whose last check failed: its insights are archived, only a
        // revision may be missed, which is no item error (nor a partial run) for insights the archive has.
        if let sidecar = try? writer.loadSidecar(item.sidecar), sidecar.media.contains(where: { $0.kind == .insights && $0.id == item.mediaId }) {
            logger.info("insights of recording \(item.mediaId): not asked again (the call is past the bound); last revision check: \(reason)")
            return
        }
        itemError("recording \(item.mediaId) (\(item.sidecar)): RingSense insights not archived: \(reason); not asked again "
                  + "(its call is more than \(Int(Self.insightsAskSeconds / 86_400)) days old)",
                  ids: ["kind": "insights", "recordingId": .string(item.mediaId), "sidecar": .string(item.sidecar)])
    }
}
