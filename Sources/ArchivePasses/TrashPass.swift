import ArchiveStore
import RinglogSupport

/// `.trash/<runId>/…`: files a purge removed, kept `trashDays` before a later purge empties them.
public enum Trash {
    public struct RunSummary: Sendable {
        public let runId: String
        public let run: TrashRun?
        public let files: Int
        public let bytes: Int64
    }

    /// Every trash run with its file count and size.
    public static func list(store: TenantStore) throws -> PassReport {
        var report = PassReport()
        var runs: [JSON] = []
        for runId in store.trashRuns() {
            let run = try? TrashRun.load(DurableFiles.join(store.trashDirectory, runId, TrashRun.fileName))
            var files = 0
            var bytes: Int64 = 0
            try ArchiveReader(tenantDirectory: DurableFiles.join(store.trashDirectory, runId)).forEachDayFolder { day in
                for name in day.names {
                    files += 1
                    bytes += DurableFiles.size(DurableFiles.join(store.trashDirectory, runId, day.relativePath, name)) ?? 0
                }
            }
            let expiry = run.map { "empties after \($0.expiresAt.iso8601)" } ?? "trash.json unreadable: never emptied automatically"
            report.say("\(runId)  \(files) files, \(bytes) bytes, \(expiry)")
            var object: JSONObject = ["runId": .string(runId), "files": .int(files), "bytes": .int(bytes)]
            object["trashedAt"] = run.map { .string($0.trashedAt.iso8601) } ?? .null
            object["expiresAt"] = run.map { .string($0.expiresAt.iso8601) } ?? .null
            runs.append(.object(object))
        }
        if runs.isEmpty { report.say("tenant \(store.tenantId): the trash is empty") }
        report.json["tenantId"] = .string(store.tenantId)
        report.json["runs"] = .array(runs)
        return report
    }

    struct EmptyCounts {
        var files = 0
        var held = 0
        var runs: [String] = []
    }

    /// Deletes the files of trash runs (`only`, or every run that has expired, or all with `everything`),
    /// except what an active hold keeps. `writer` nil is a dry run: it only counts.
    /// `references` nil: read here (only while a hold is active).
    static func empty(store: TenantStore, writer: TenantWriter?, holds: [LegalHold], references: RecordingReferences? = nil, now: Timestamp,
                      everything: Bool, only: String? = nil, report: inout PassReport) throws -> EmptyCounts {
        var counts = EmptyCounts()
        let activeHolds = Holds(active: holds.filter(\.isActive))
        let references = try references ?? RecordingReferences.load(store: store, holds: activeHolds)
        for runId in store.trashRuns() where only == nil || only == runId {
            let base = DurableFiles.join(store.trashDirectory, runId)
            let run: TrashRun?
            do { run = try TrashRun.load(DurableFiles.join(base, TrashRun.fileName)) } catch {
                report.say("warning: \(error); that trash run is left alone")
                continue
            }
            if !everything {
                guard let run, run.expiresAt <= now else { continue }
            }
            var runFiles = 0
            try ArchiveReader(tenantDirectory: base).forEachDayFolder { day in
                let items = DayItems(names: day.names)
                // A trashed recording's call may have stayed in the tree (only media expired).
                let treeNames = DayItems(names: DurableFiles.list(store.path(day.relativePath)))
                for group in items.sortedCalls {
                    let callIds = (group.sidecars + (treeNames.calls[group.start.millisecondsSinceEpoch]?.sidecars ?? [])).map(\.callId)
                    let latest = group.start.adding(milliseconds: 999)
                    let identities: [HoldScope.Identity] = callIds.isEmpty ? [.call(nil)] : callIds.map { .call($0) }
                    let names = group.recordings.map(\.name) + group.sidecars.map(\.name)
                    // A trashed recording that a held call elsewhere references (§6.6) stays, with its sidecar.
                    if identities.contains(where: { activeHolds.holding(extensionFolder: day.extensionFolder, start: group.start, latestStart: latest, item: $0) != nil })
                        || references.holding(folder: day.relativePath, recordings: group.recordings, holds: activeHolds) != nil
                    {
                        counts.held += names.count
                        continue
                    }
                    for name in names {
                        try writer?.deleteFromTrash(runId + "/" + day.relativePath + "/" + name)
                        runFiles += 1
                    }
                }
                for group in items.sortedMessages {
                    let names = group.media.map(\.name) + (group.sidecar.map { [$0] } ?? [])
                    if activeHolds.holding(extensionFolder: day.extensionFolder, start: group.start, latestStart: group.start.adding(milliseconds: 999),
                                           item: .message(group.messageId)) != nil {
                        counts.held += names.count
                        continue
                    }
                    for name in names {
                        try writer?.deleteFromTrash(runId + "/" + day.relativePath + "/" + name)
                        runFiles += 1
                    }
                }
                for name in items.unknown {
                    // Not an item file of layout v1 (a user's note?): nothing decides its retention, so it is emptied with its run.
                    try writer?.deleteFromTrash(runId + "/" + day.relativePath + "/" + name)
                    runFiles += 1
                }
            }
            try writer?.pruneTrashRun(runId)
            counts.files += runFiles
            counts.runs.append(runId)
        }
        return counts
    }

    /// `ringlog trash empty`: every trash run now (or the one named), except held files.
    public static func emptyNow(store: TenantStore, runId: String?, dryRun: Bool, reason: String, context: PassContext) throws -> PassReport {
        var report = PassReport()
        try refusePhoneNumbers(in: reason, field: "--reason")
        if let runId, !store.trashRuns().contains(runId) { throw ConfigurationError("no trash run \(runId) in tenant \(store.tenantId); `ringlog trash list` shows them") }
        let holds = try store.loadHolds()
        if dryRun {
            let counts = try empty(store: store, writer: nil, holds: holds, now: context.now, everything: true, only: runId, report: &report)
            report.say("tenant \(store.tenantId): dry run: would delete \(counts.files) files from \(counts.runs.count) trash runs; "
                       + "\(counts.held) held files would stay (nothing was changed)")
            report.json = ["tenantId": .string(store.tenantId), "dryRun": true, "files": .int(counts.files), "held": .int(counts.held)]
            return report
        }
        return try context.withWriter(store) { writer in
            let counts = try empty(store: store, writer: writer, holds: holds, now: context.now, everything: true, only: runId, report: &report)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "trash.empty", reason: reason,
                                             changes: ["runs": .array(counts.runs.map { .string($0) }), "files": .int(counts.files), "held": .int(counts.held)]))
            report.say("tenant \(store.tenantId): deleted \(counts.files) files from \(counts.runs.count) trash runs"
                       + (counts.held > 0 ? "; \(counts.held) files stay: a legal hold keeps them" : ""))
            report.json = ["tenantId": .string(store.tenantId), "files": .int(counts.files), "held": .int(counts.held),
                           "runs": .array(counts.runs.map { .string($0) })]
            if counts.held > 0 { report.outcome = .partial }
            return report
        }
    }

    /// `ringlog trash restore RUNID`: puts a purge run's files back where they were (media first,
    /// then sidecars, then the media entries of kept sidecars), each followed by its restoration line.
    public static func restore(store: TenantStore, runId: String, reason: String, context: PassContext) throws -> PassReport {
        var report = PassReport()
        try refusePhoneNumbers(in: reason, field: "--reason")
        guard TrashRun.isRunId(runId), DurableFiles.isDirectory(DurableFiles.join(store.trashDirectory, runId)) else {
            throw ConfigurationError("no trash run \(runId) in tenant \(store.tenantId); `ringlog trash list` shows them")
        }
        return try context.withWriter(store) { writer in
            let restoreRunId = TrashRun.newRunId(at: context.now)
            var restored = 0, missing = 0, occupied = 0
            for month in store.tombstoneMonths() {
                let tombstones = try store.tombstoneState(month: month).values.filter { $0.isRemoval && $0.runId == runId }
                    .sorted { ($0.kind == .call || $0.kind == .message ? 1 : 0, $0.path) < ($1.kind == .call || $1.kind == .message ? 1 : 0, $1.path) }
                var mediaBySidecarFolder: [String: [String]] = [:]
                for tombstone in tombstones {
                    let inTrash = DurableFiles.exists(DurableFiles.join(store.trashDirectory, runId, tombstone.path))
                    if try writer.restoreFromTrash(tombstone, runId: runId, at: context.now, restoreRunId: restoreRunId) {
                        restored += 1
                        if tombstone.kind == .recording || tombstone.kind == .insights { mediaBySidecarFolder[DurableFiles.parentDirectory(of: tombstone.path), default: []].append(tombstone.path) }
                    } else if inTrash {
                        occupied += 1
                        report.say("warning: \(tombstone.path) is in the tree again; its trashed copy stays in .trash/\(runId)")
                    } else {
                        missing += 1
                    }
                }
                // Kept sidecars list their restored recordings again.
                for (folder, paths) in mediaBySidecarFolder {
                    for name in DurableFiles.list(store.path(folder)) where name.contains("_call.") {
                        let stamps = Set(paths.map { String(DurableFiles.fileName(of: $0).prefix(16)) })
                        guard stamps.contains(String(name.prefix(16))) else { continue }
                        try writer.recordRestoredMedia(sidecar: folder + "/" + name, files: paths.map(DurableFiles.fileName(of:)))
                    }
                }
            }
            try writer.pruneTrashRun(runId)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "trash.restore", reason: reason, runId: restoreRunId,
                                             changes: ["trashRun": .string(runId), "restored": .int(restored), "missing": .int(missing),
                                                       "occupied": .int(occupied)]))
            report.say("tenant \(store.tenantId): restored \(restored) files from trash run \(runId)"
                       + (missing > 0 ? "; \(missing) were no longer in the trash (emptied, or removed by an exclusion)" : ""))
            if restored > 0 {
                report.say("note: what the policy still expires is purged again by the next purge; place a hold first "
                           + "(`ringlog hold add --tenant \(store.tenantId) …`) or change the policy to keep it")
            }
            report.json = ["tenantId": .string(store.tenantId), "trashRun": .string(runId), "restored": .int(restored), "missing": .int(missing),
                           "occupied": .int(occupied)]
            if occupied > 0 { report.outcome = .partial }
            return report
        }
    }
}
