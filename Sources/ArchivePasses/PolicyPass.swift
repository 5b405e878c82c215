import ArchiveStore
import RinglogSupport

/// `ringlog policy show|set`.
public enum Policy {
    /// What `policy set` was asked to change; nil keeps the current value.
    public struct Changes: Sendable {
        public var calls: String?
        public var recordings: String?
        public var voicemails: String?
        public var sms: String?
        public var faxes: String?
        public var pager: String?
        /// A duration, or `recordings` to follow the recordings' period again.
        public var insights: String?
        public var trashDays: Int?
        public var maxDelete: Int?
        public var preset: String?

        public init(calls: String? = nil, recordings: String? = nil, voicemails: String? = nil, sms: String? = nil, faxes: String? = nil,
                    pager: String? = nil, insights: String? = nil, trashDays: Int? = nil, maxDelete: Int? = nil, preset: String? = nil) {
            self.calls = calls
            self.recordings = recordings
            self.voicemails = voicemails
            self.sms = sms
            self.faxes = faxes
            self.pager = pager
            self.insights = insights
            self.trashDays = trashDays
            self.maxDelete = maxDelete
            self.preset = preset
        }

        /// A period was given (not only the trash, the guard or the preset).
        var setsPeriods: Bool { [calls, recordings, voicemails, sms, faxes, pager, insights].contains { $0 != nil } }
        var isEmpty: Bool { !setsPeriods && trashDays == nil && maxDelete == nil && preset == nil }
    }

    public static func show(store: TenantStore) throws -> PassReport {
        _ = try store.marker()
        var report = PassReport()
        report.json["tenantId"] = .string(store.tenantId)
        guard let policy = try store.loadPolicy() else {
            report.say("tenant \(store.tenantId): no retention policy: everything is kept forever")
            report.json["policy"] = .null
            return report
        }
        report.json["policy"] = policy.json
        report.say("tenant \(store.tenantId): retention policy\(policy.preset.map { " (preset \($0))" } ?? "")")
        report.say("  calls (call records)      \(policy.calls.spelledOut)")
        report.say("  recordings                \(policy.recordings.spelledOut)")
        report.say("  voicemails (with media)   \(policy.voicemails.spelledOut)")
        report.say("  faxes (with documents)    \(policy.faxes.spelledOut)")
        report.say("  sms (SMS/MMS, with media) \(policy.sms.spelledOut)")
        report.say("  pager (with attachments)  \(policy.pager.spelledOut)")
        report.say("  insights (RingSense)      \(policy.insights.map(\.spelledOut) ?? "as recordings (\(policy.recordings.spelledOut))")")
        report.say("  trash                     \(policy.trashDays == 0 ? "none: purged files are deleted at once" : "\(policy.trashDays) days")")
        report.say("  purge guard (max delete)  \(policy.effectiveMaxDelete) files per run\(policy.maxDelete == nil ? " (default)" : "")")
        report.say("  set \(policy.setAt.iso8601) by \(policy.setBy): \(policy.reason)")
        if let preset = policy.preset.flatMap({ RetentionPreset.named(String($0.prefix { $0 != " " })) }) {
            report.say("  source: \(preset.source)")
            report.say("  messages: \(preset.messageSource)")
            report.say("  insights: \(RetentionPreset.insightsNote)")
        }
        return report
    }

    public static func set(store: TenantStore, changes: Changes, reason: String, context: PassContext) throws -> PassReport {
        _ = try store.marker()
        guard !reason.trimmingCharacters().isEmpty else { throw ConfigurationError("--reason is required: say why the policy changes (it goes into logs/audit.jsonl)") }
        try refusePhoneNumbers(in: reason, field: "--reason")
        guard !changes.isEmpty else {
            throw ConfigurationError("nothing to set: give --calls, --recordings, --voicemails, --sms, --faxes, --pager, --insights, --trash-days, "
                                     + "--max-delete or --preset")
        }
        // Everything is parsed and checked before the lease is taken: a bad value changes nothing.
        let current = try store.loadPolicy()
        var policy = current ?? RetentionPolicy(reason: reason, setAt: context.now, setBy: context.actor)
        if let name = changes.preset {
            guard let preset = RetentionPreset.named(name) else {
                throw ConfigurationError("--preset \(name.debugDescription) is not one of \(RetentionPreset.all.map(\.name).joined(separator: ", "))")
            }
            policy.calls = preset.calls
            policy.recordings = preset.recordings
            policy.voicemails = preset.voicemails
            policy.sms = preset.sms
            policy.faxes = preset.faxes
            policy.pager = preset.pager
            policy.insights = nil  // no preset's source names insights: they follow the recordings
            policy.preset = preset.name
        }
        if let text = changes.calls { policy.calls = try RetentionPeriod(parsing: text, field: "--calls") }
        if let text = changes.recordings { policy.recordings = try RetentionPeriod(parsing: text, field: "--recordings") }
        if let text = changes.voicemails { policy.voicemails = try RetentionPeriod(parsing: text, field: "--voicemails") }
        if let text = changes.sms { policy.sms = try RetentionPeriod(parsing: text, field: "--sms") }
        if let text = changes.faxes { policy.faxes = try RetentionPeriod(parsing: text, field: "--faxes") }
        if let text = changes.pager { policy.pager = try RetentionPeriod(parsing: text, field: "--pager") }
        if let text = changes.insights {
            policy.insights = text.lowercased() == "recordings" ? nil : try RetentionPeriod(parsing: text, field: "--insights")
        }
        if changes.preset == nil && changes.setsPeriods { policy.preset = nil }
        if let preset = changes.preset, changes.setsPeriods { policy.preset = preset + " (modified)" }
        if let days = changes.trashDays { policy.trashDays = days }
        if let limit = changes.maxDelete { policy.maxDelete = limit }
        try policy.validate()
        var report = PassReport()
        report.json["tenantId"] = .string(store.tenantId)
        if let current, current.calls == policy.calls, current.recordings == policy.recordings, current.voicemails == policy.voicemails,
            current.sms == policy.sms, current.faxes == policy.faxes, current.pager == policy.pager, current.insights == policy.insights,
            current.trashDays == policy.trashDays, current.maxDelete == policy.maxDelete, current.preset == policy.preset
        {
            report.say("tenant \(store.tenantId): the policy already says this; nothing changed")
            report.json["policy"] = current.json
            report.json["changed"] = false
            return report
        }
        policy.reason = reason
        policy.setAt = context.now
        policy.setBy = context.actor
        var warnings: [String] = []
        for (name, before, after) in [("calls", current?.calls, policy.calls), ("recordings", current?.recordings, policy.recordings),
                                      ("voicemails", current?.voicemails, policy.voicemails), ("sms", current?.sms, policy.sms),
                                      ("faxes", current?.faxes, policy.faxes), ("pager", current?.pager, policy.pager),
                                      ("insights", current?.effectiveInsights, policy.effectiveInsights)] where after < (before ?? .forever) {
            warnings.append("\(name) shortened from \(before ?? .forever) to \(after)")
        }
        return try context.withWriter(store) { writer in
            try writer.savePolicy(policy)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "policy.set", reason: reason,
                                             changes: ["before": current?.json ?? .null, "after": policy.json]))
            // What a purge would do now, so a 7-year policy typed as 7 days shows before anything is removed.
            var planner = try RetentionPlanner(policy: policy, holds: try store.loadHolds(), now: context.now, store: store)
            var files = 0
            try store.reader.forEachDayFolder { day in for plan in planner.plan(day) { files += plan.files.count } }
            report.say("tenant \(store.tenantId): policy set: calls \(policy.calls), recordings \(policy.recordings), "
                       + "insights \(policy.insights.map(\.description) ?? "as recordings"), voicemails \(policy.voicemails), faxes \(policy.faxes), "
                       + "sms \(policy.sms), pager \(policy.pager), trash \(policy.trashDays) days, purge guard \(policy.effectiveMaxDelete) files")
            for warning in warnings { report.say("warning: \(warning)") }
            report.say("a purge now would remove \(files) files (\(planner.heldFiles) more are kept by legal holds); "
                       + "see them with `ringlog purge --tenant \(store.tenantId) --dry-run`"
                       + (files > policy.effectiveMaxDelete ? "; that is more than the guard of \(policy.effectiveMaxDelete), so purge will refuse until told --max-delete \(files)" : ""))
            if let preset = policy.preset.flatMap({ RetentionPreset.named(String($0.prefix { $0 != " " })) }) {
                report.say("source: \(preset.source)")
                report.say("messages: \(preset.messageSource)")
                report.say("insights: \(RetentionPreset.insightsNote)")
            }
            report.json["policy"] = policy.json
            report.json["changed"] = true
            report.json["wouldRemove"] = .int(files)
            report.json["warnings"] = .array(warnings.map { .string($0) })
            return report
        }
    }
}

extension String {
    func trimmingCharacters() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
