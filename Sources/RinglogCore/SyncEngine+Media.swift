import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// A media file a sidecar should list but does not yet.
struct MediaTask {
    let kind: MediaEntry.Kind
    let mediaId: String
    let uri: String
    /// Sidecar path relative to the tenant directory; media goes in the same directory.
    let sidecar: String
    /// File name without extension (the extension comes from the Content-Type).
    let baseName: String
    let startTime: Timestamp

    var key: String { "\(kind.rawValue):\(mediaId)" }
    var candidateExtensions: [MediaExtension] { kind == .transcription ? [.txt] : [.mp3, .wav] }
}

enum FetchOutcome {
    case archived(MediaEntry)
    /// Not fetched now; kept in the pending queue.
    case deferred
}

extension SyncEngine {
    /// Downloads one media file into place (temp name in the same directory, fsync, rename), or
    /// adopts a file a crashed run already renamed into place. Failures go to the pending queue.
    func fetch(_ task: MediaTask) -> FetchOutcome {
        renewLeaseIfDue()
        let directory = DurableFiles.join(tenantDirectory, DurableFiles.parentDirectory(of: task.sidecar))
        for candidate in task.candidateExtensions {
            let name = task.baseName + "." + candidate.rawValue
            let path = DurableFiles.join(directory, name)
            // Only a complete, fsynced file is ever renamed to its final name, so one that exists is whole.
            if DurableFiles.exists(path), let bytes = try? DurableFiles.read(path) {
                removePending(task.key)
                return .archived(MediaEntry(kind: task.kind, id: task.mediaId, file: name, sha256: SHA256Hasher.hex(of: bytes),
                                            size: Int64(bytes.count), contentType: contentType(for: candidate), archivedAt: now))
            }
        }
        // One attempt per item per run: the same call can arrive from FSync, the list and ISync.
        guard attemptedThisRun.insert(task.key).inserted else { return .deferred }
        if let waiting = pendingQueue.pending.first(where: { $0.key == task.key }), !options.retryPendingNow, waiting.nextAttemptAt > now {
            return .deferred  // its backoff has not run out yet
        }
        if pendingQueue.quarantined.contains(where: { $0.key == task.key }) && !options.retryPendingNow { return .deferred }
        do {
            try DurableFiles.createDirectories(directory)
            if sweptDirectories.insert(directory).inserted { DurableFiles.sweepTemporaryFiles(in: directory, minimumAgeSeconds: 0) }
            let temporary = try DurableFiles.createTemporary(in: directory, for: task.baseName + ".part")
            let download: MediaDownload
            do {
                download = task.kind == .recording
                    ? try source.downloadRecording(contentURI: task.uri, to: temporary.descriptor)
                    : try source.downloadAttachment(uri: task.uri, to: temporary.descriptor)
            } catch {
                DurableFiles.discard(temporaryPath: temporary.path, descriptor: temporary.descriptor)
                throw error
            }
            guard let fileExtension = MediaExtension(contentType: download.contentType),
                task.candidateExtensions.contains(fileExtension)
            else {
                DurableFiles.discard(temporaryPath: temporary.path, descriptor: temporary.descriptor)
                throw ConfigurationError("unexpected Content-Type \(download.contentType ?? "none") for \(task.kind.rawValue) \(task.mediaId)")
            }
            let name = task.baseName + "." + fileExtension.rawValue
            try DurableFiles.commit(temporaryPath: temporary.path, descriptor: temporary.descriptor, to: DurableFiles.join(directory, name))
            removePending(task.key)
            report.count(task.kind == .recording ? "recordings" : task.kind == .voicemail ? "voicemails" : "transcriptions")
            report.bytes += download.bytes
            return .archived(MediaEntry(kind: task.kind, id: task.mediaId, file: name, sha256: download.sha256, size: download.bytes,
                                        contentType: download.contentType ?? contentType(for: fileExtension), archivedAt: now))
        } catch {
            let notReady: Bool
            if case RingCentralError.http(404, _, _) = error { notReady = true } else { notReady = false }
            postpone(task, reason: notReady ? "not ready (HTTP 404)" : "\(error)")
            return .deferred
        }
    }

    private func contentType(for fileExtension: MediaExtension) -> String {
        switch fileExtension {
        case .mp3: "audio/mpeg"
        case .wav: "audio/wav"
        case .txt: "text/plain"
        }
    }

    func removePending(_ key: String) {
        pendingQueue.pending.removeAll { $0.key == key }
        pendingQueue.quarantined.removeAll { $0.key == key }
    }

    /// Backoff doubling from `pendingBaseDelaySeconds`; after `pendingMaximumAttempts`, quarantine.
    func postpone(_ task: MediaTask, reason: String) {
        var item = pendingQueue.pending.first { $0.key == task.key }
            ?? PendingItem(kind: task.kind, mediaId: task.mediaId, sidecar: task.sidecar, uri: redactingAccessTokenSafe(task.uri),
                           startTime: task.startTime, attempts: 0, firstSeenAt: now, nextAttemptAt: now, lastError: "", quarantinedAt: nil)
        pendingQueue.pending.removeAll { $0.key == task.key }
        item.attempts += 1
        item.lastError = reason
        let delay = min(options.pendingMaximumDelaySeconds, options.pendingBaseDelaySeconds * Double(1 << min(item.attempts - 1, 20)))
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
            if !reason.hasPrefix("not ready") { logger.warning("\(task.kind.rawValue) \(task.mediaId): \(reason); retry after \(item.nextAttemptAt.iso8601)") }
        }
    }

    /// Retries pending items that are due, oldest first (closest to RingCentral's deletion).
    func retryPending() throws {
        let due = pendingQueue.pending.filter { options.retryPendingNow || $0.nextAttemptAt <= now }.sorted { $0.startTime < $1.startTime }
        let retryQuarantined = options.retryPendingNow ? pendingQueue.quarantined : []
        for item in due + retryQuarantined {
            let sidecarPath = DurableFiles.join(tenantDirectory, item.sidecar)
            guard var sidecar = try? Sidecar.parse(try DurableFiles.read(sidecarPath), path: item.sidecar) else {
                removePending(item.key)
                itemError("pending \(item.kind.rawValue) \(item.mediaId): its sidecar \(item.sidecar) is gone; dropped",
                          ids: ["mediaId": .string(item.mediaId), "sidecar": .string(item.sidecar)])
                continue
            }
            if sidecar.media.contains(where: { $0.kind == item.kind && $0.id == item.mediaId }) {
                removePending(item.key)
                continue
            }
            progress("retrying \(item.kind.rawValue) \(item.mediaId)")
            // The pending item's start instant is the one its name was built from.
            let baseName = item.kind == .recording
                ? try ArchiveNames.recordingBaseName(start: item.startTime, recordingId: item.mediaId)
                : try ArchiveNames.voicemailBaseName(created: item.startTime, messageId: sidecar.item["messageId"]?.stringValue ?? "")
            let task = MediaTask(kind: item.kind, mediaId: item.mediaId, uri: item.uri, sidecar: item.sidecar, baseName: baseName,
                                 startTime: item.startTime)
            if case .archived(let entry) = fetch(task) {
                sidecar.media.append(entry)
                try writeSidecar(sidecar, at: item.sidecar)
                try manifest.record(sidecar, at: item.sidecar)
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
    /// extension was renumbered since.
    func openSidecar(kind: Sidecar.Kind, existing: String?, record: JSONObject, idKey: String, id: String, extensionId: String?,
                     start: Timestamp, newPath: (String) throws -> String) throws -> OpenedSidecar {
        let verbatim = strippingAccessTokens(.object(record))
        if let existing, let bytes = try? DurableFiles.read(DurableFiles.join(tenantDirectory, existing)) {
            var sidecar = try Sidecar.parse(bytes, path: existing)
            let changed = sidecar.update(record: verbatim, at: now)
            return OpenedSidecar(sidecar: sidecar, relative: existing, changed: changed, isNew: false, revised: changed)
        }
        let folder = try extensionFolder(extensionId)
        let relative = try newPath(folder)
        if let bytes = try? DurableFiles.read(DurableFiles.join(tenantDirectory, relative)) {
            var sidecar = try Sidecar.parse(bytes, path: relative)
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
        item["startTime"] = .string(start.iso8601)
        return OpenedSidecar(sidecar: Sidecar(kind: kind, record: verbatim, item: item, archivedAt: now), relative: relative,
                             changed: true, isNew: true, revised: false)
    }

    /// Writes the sidecar if it changed, then appends whatever manifest lines it implies that the
    /// shard lacks (also repairing a crash between the two).
    func save(_ opened: OpenedSidecar) throws {
        if opened.changed { try writeSidecar(opened.sidecar, at: opened.relative) }
        try manifest.record(opened.sidecar, at: opened.relative)
    }

    /// Sidecars are replaced atomically; their directory is created (and fsynced) first if new.
    func writeSidecar(_ sidecar: Sidecar, at relative: String) throws {
        let path = DurableFiles.join(tenantDirectory, relative)
        let directory = DurableFiles.parentDirectory(of: path)
        try DurableFiles.createDirectories(directory)
        if sweptDirectories.insert(directory).inserted { DurableFiles.sweepTemporaryFiles(in: directory, minimumAgeSeconds: 0) }
        try DurableFiles.writeAtomically(path, sidecar.bytes)
    }
}

/// Pending entries store their URL without any `access_token`.
func redactingAccessTokenSafe(_ url: String) -> String {
    strippingAccessTokens(.string(url)).stringValue ?? url
}
