import ArchiveStore
import RinglogSupport

/// `ringlog purge`: removes what the tenant's policy expires and no legal hold keeps, through the
/// writer's removal protocol, into the trash (or at once with trashDays 0); empties expired trash.
public enum Purge {
    struct Totals {
        var files = 0
        var calls = 0
        var recordings = 0
        var insights = 0
        /// Messages (sidecars) by kind: voicemails, faxes, sms, pager.
        var messages: [MessageKind: Int] = [:]
        var bytes: Int64 = 0

        mutating func add(_ plan: PlannedRemoval) {
            files += plan.files.count
            for file in plan.files {
                switch file.kind {
                case .call: calls += 1
                case .recording: recordings += 1
                case .insights: insights += 1
                case .message: if let kind = ItemFileName(file.name)?.message?.kind { messages[kind, default: 0] += 1 }
                default: break
                }
            }
        }

        var json: JSON {
            var object: JSONObject = ["files": .int(files), "calls": .int(calls), "recordings": .int(recordings), "insights": .int(insights)]
            for kind in MessageKind.allCases { object[RetentionPolicy.field(of: kind)] = .int(messages[kind] ?? 0) }
            return .object(object)
        }

        var words: String {
            "\(files) files (\(calls) call records, \(recordings) recordings, \(insights) insights files, \(messages[.voicemail] ?? 0) voicemails, "
                + "\(messages[.fax] ?? 0) faxes, \(messages[.sms] ?? 0) SMS/MMS, \(messages[.pager] ?? 0) pager messages, each message with its files)"
        }
    }

    /// One tenant. `maxDelete` overrides the policy's guard for this run.
    public static func run(store: TenantStore, dryRun: Bool, maxDelete: Int?, context: PassContext,
                           onPlannedFile: ((String, String) -> Void)? = nil) throws -> PassReport {
        _ = try store.marker()
        let policy = try store.loadPolicy()
        let holds = try store.loadHolds()
        let journal = try store.loadRemovalJournal()
        let limit = maxDelete ?? policy?.effectiveMaxDelete ?? RetentionPolicy.defaultMaxDelete
        var report = PassReport()
        report.json["tenantId"] = .string(store.tenantId)
        report.json["dryRun"] = .bool(dryRun)
        let effectivePolicy = policy ?? RetentionPolicy(reason: "", setAt: context.now, setBy: "")
        if policy == nil || effectivePolicy.keepsEverything {
            report.say("tenant \(store.tenantId): no retention policy\(policy == nil ? "" : " that expires anything"): everything is kept forever "
                       + "(set one with `ringlog policy set --tenant \(store.tenantId) --preset hipaa --reason …`)")
            report.json["policy"] = .null
        }

        if dryRun {
            var planner = try RetentionPlanner(policy: effectivePolicy, holds: holds, now: context.now, store: store)
            // Reads names only and writes nothing: no lease, no log, no repair.
            var totals = Totals()
            if let journal { report.say("an interrupted \(journal.pass.rawValue) run \(journal.runId) would be finished first") }
            try store.reader.forEachDayFolder { day in
                for plan in planner.plan(day) {
                    totals.add(plan)
                    for file in plan.files { onPlannedFile?(plan.path(file.name), plan.rule) }
                }
            }
            var trashReport = PassReport()
            let trash = try Trash.empty(store: store, writer: nil, holds: holds, references: planner.references, now: context.now,
                                        everything: false, report: &trashReport)
            report.lines += trashReport.lines
            report.say("tenant \(store.tenantId): dry run: would remove \(totals.words); \(planner.heldFiles) files kept by legal holds; "
                       + "would empty \(trash.files) files of \(trash.runs.count) expired trash runs; nothing was changed")
            if totals.files > limit {
                report.say("the guard would refuse this run: \(totals.files) files is more than --max-delete \(limit)")
            }
            if planner.orphanFiles > 0 { report.say("\(planner.orphanFiles) media files that no sidecar names are left (the next sync adopts them)") }
            if let first = planner.references.unreadable.first {
                report.say("warning: \(planner.references.unreadable.count) call sidecars cannot be read (\(first)\(planner.references.unreadable.count > 1 ? ", …" : "")): "
                           + "a hold on them cannot keep the recordings they reference from other calls' folders")
            }
            report.json["planned"] = totals.json
            report.json["held"] = .int(planner.heldFiles)
            report.json["maxDelete"] = .int(limit)
            report.json["wouldRefuse"] = .bool(totals.files > limit)
            report.json["trashToEmpty"] = .int(trash.files)
            return report
        }

        return try context.withWriter(store) { writer in
            var errors: [String] = []
            let recovered = try Recovery.finish(store: store, writer: writer, holds: holds, now: context.now)
            errors += recovered.errors
            let runId = recovered.journal?.pass == .purge ? recovered.journal!.runId : TrashRun.newRunId(at: context.now)
            writer.runId = runId
            if let journal = recovered.journal {
                report.say("finished the interrupted \(journal.pass.rawValue) run \(journal.runId): \(recovered.files) more files removed"
                           + (recovered.withdrawn > 0 ? ", \(recovered.withdrawn) kept (a hold placed since)" : ""))
            }
            // Under the lease, after recovery: the reference index must see the tree this run changes.
            var planner = try RetentionPlanner(policy: effectivePolicy, holds: holds, now: context.now, store: store)
            // Plan everything before removing anything: the guard must see the whole run.
            var plans: [PlannedRemoval] = []
            var totals = Totals()
            var emptyFolders: [String] = []
            try store.reader.forEachDayFolder { day in
                if day.names.isEmpty { emptyFolders.append(day.relativePath) }
                for plan in planner.plan(day) {
                    totals.add(plan)
                    if totals.files <= limit { plans.append(plan) }
                }
            }
            let trashDays = policy?.trashDays ?? RetentionPolicy.defaultTrashDays
            var changes: JSONObject = ["runId": .string(runId), "policy": policy?.json ?? .null, "maxDelete": .int(limit),
                                       "planned": totals.json, "held": .int(planner.heldFiles),
                                       "holds": .array(planner.holdsThatKept.sorted().map { .string($0) })]
            if let journal = recovered.journal { changes["resumed"] = ["runId": .string(journal.runId), "files": .int(recovered.files)] }
            if totals.files > limit {
                changes["decision"] = "refused"
                try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "purge", reason: "guard: more than --max-delete",
                                                 runId: runId, changes: changes))
                try writer.endRemovalRun()
                report.outcome = .refused
                report.say("tenant \(store.tenantId): refused: this purge would remove \(totals.words), more than --max-delete \(limit); "
                           + "nothing was removed. Check the plan with `ringlog purge --tenant \(store.tenantId) --dry-run`, then run "
                           + "`ringlog purge --tenant \(store.tenantId) --max-delete \(totals.files)` (or raise the policy's --max-delete)")
                report.json["refused"] = true
                report.json["planned"] = totals.json
                report.json["maxDelete"] = .int(limit)
                return report
            }
            if !plans.isEmpty {
                if recovered.journal?.runId != runId {
                    try writer.beginRemovalRun(RemovalJournal(runId: runId, pass: .purge, startedAt: context.now, trashDays: trashDays))
                }
                if trashDays > 0 { try writer.prepareTrash(TrashRun(runId: runId, trashedAt: context.now, trashDays: trashDays)) }
            }
            let disposal: Disposal = trashDays > 0 ? .trash(runId: runId) : .delete
            var removed = 0
            for plan in plans {
                do {
                    removed += try writer.remove(try removal(for: plan, store: store), runId: runId, disposal: disposal, at: context.now)
                } catch let error as SidecarError {
                    errors.append("\(error)")
                } catch let error as RemovalRefused {
                    errors.append("\(error)")
                }
            }
            for folder in emptyFolders { try writer.removeIfEmpty(folder) }
            var trashReport = PassReport()
            let trash = try Trash.empty(store: store, writer: writer, holds: holds, references: planner.references, now: context.now,
                                        everything: false, report: &trashReport)
            report.lines += trashReport.lines
            changes["decision"] = "ran"
            changes["removed"] = .int(removed)
            changes["trashDays"] = .int(trashDays)
            changes["trashEmptied"] = ["files": .int(trash.files), "runs": .array(trash.runs.map { .string($0) }), "held": .int(trash.held)]
            if !errors.isEmpty { changes["errors"] = .array(errors.prefix(50).map { .string($0) }) }
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "purge",
                                             reason: policy.map { "retention policy: \($0.reason)" } ?? "no policy: only interrupted work and expired trash",
                                             runId: runId, changes: changes))
            try writer.endRemovalRun()
            let destination = trashDays > 0 ? "moved to .trash/\(runId) for \(trashDays) days" : "deleted (trashDays 0)"
            report.say("tenant \(store.tenantId): removed \(totals.words): \(destination); \(planner.heldFiles) files kept by legal holds"
                       + (planner.holdsThatKept.isEmpty ? "" : " (\(planner.holdsThatKept.sorted().joined(separator: ", ")))")
                       + "; emptied \(trash.files) files of \(trash.runs.count) expired trash runs")
            if planner.orphanFiles > 0 { report.say("\(planner.orphanFiles) media files that no sidecar names were left (the next sync adopts them)") }
            if let first = planner.references.unreadable.first {
                report.say("warning: \(planner.references.unreadable.count) call sidecars cannot be read (\(first)\(planner.references.unreadable.count > 1 ? ", …" : "")): "
                           + "a hold on them cannot keep the recordings they reference from other calls' folders")
            }
            for error in errors { report.say("error: \(error)") }
            if !errors.isEmpty { report.outcome = .partial }
            report.json["runId"] = .string(runId)
            report.json["removed"] = totals.json
            report.json["held"] = .int(planner.heldFiles)
            report.json["trashEmptied"] = .int(trash.files)
            report.json["errors"] = .array(errors.map { .string($0) })
            return report
        }
    }
}
