import ArchiveStore
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// `ringlog exclude add|list|remove|apply`.
public enum Exclusions {
    public enum Target: Sendable {
        case number(String)
        case prefix(String)
        case extensionNumber(String)
    }

    /// The country national numbers are read in: `--country`, else the tenant's setting, else the
    /// country of the account's main number, else US.
    public static func country(_ code: String?, marker: TenantMarker) throws(ConfigurationError) -> CallingCountry {
        guard let code else { return marker.numberingCountry }
        guard let country = PhoneNumbers.country(code) else {
            throw ConfigurationError("--country \(code.debugDescription) is not a country ringlog reads national numbers of; "
                                     + "give the number in international form (+…), or one of: \(PhoneNumbers.coveredCodes)")
        }
        return country
    }

    public static func add(store: TenantStore, target: Target, country code: String?, label: String?, reason: String, key: [UInt8]?,
                           context: PassContext) throws -> PassReport {
        let marker = try store.marker()
        guard !reason.trimmingCharacters().isEmpty else { throw ConfigurationError("--reason is required: say why the number is excluded") }
        try refusePhoneNumbers(in: reason, field: "--reason")
        if let label { try refusePhoneNumbers(in: label, field: "--label") }
        let country = try country(code, marker: marker)
        let match: ExclusionRule.Match
        switch target {
        case .number(let text):
            switch PhoneNumbers.normalize(text, country: country) {
            case .e164(let number):
                guard let key else { throw ConfigurationError("an exclusion key is needed for a number rule") }
                match = .number(hmac: ExclusionLog.numberHMAC(number, key: key), lastDigits: PhoneNumbers.lastDigits(number),
                                keyCheck: ExclusionLog.keyCheck(key))
            case .masked: throw ConfigurationError("--number: a masked number (with X digits) cannot be excluded; give the whole number")
            case .invalid(let why): throw ConfigurationError("--number is not a phone number ringlog can read: \(why) (read in \(country.name); --country CC for another)")
            }
        case .prefix(let text):
            switch PhoneNumbers.normalizePrefix(text, country: country) {
            case .e164(let prefix): match = .prefix(prefix)
            case .masked: throw ConfigurationError("--prefix: X digits cannot be part of a prefix")
            case .invalid(let why): throw ConfigurationError("--prefix is not a number prefix ringlog can read: \(why)")
            }
        case .extensionNumber(let number):
            guard (1...16).contains(number.utf8.count), number.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw ConfigurationError("--extension \(number.debugDescription) is not an extension number (digits)")
            }
            match = .extensionNumber(number)
        }
        let rules = try store.loadExclusions()
        var report = PassReport()
        if let existing = rules.first(where: { $0.isActive && $0.match == match }) {
            report.say("\(existing.id) already excludes \(existing.summary); nothing changed")
            report.json = ["tenantId": .string(store.tenantId), "ruleId": .string(existing.id), "changed": false]
            return report
        }
        let rule = ExclusionRule(id: ExclusionLog.newId(), match: match, label: label, reason: reason, addedAt: context.now, addedBy: context.actor)
        return try context.withWriter(store) { writer in
            try writer.appendGovernanceEvent(ExclusionLog.addedLine(rule), to: store.exclusionsPath)
            var changes: JSONObject = ["ruleId": .string(rule.id), "rule": .string(rule.summary)]
            if let label { changes["label"] = .string(label) }
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "exclusion.add", reason: reason, changes: changes))
            report.say(rule.id)
            report.say("excludes \(rule.summary) from the next sync on; items already archived stay until "
                       + "`ringlog exclude apply --tenant \(store.tenantId)` (try --dry-run first)")
            report.json = ["tenantId": .string(store.tenantId), "ruleId": .string(rule.id), "rule": .string(rule.summary), "changed": true]
            return report
        }
    }

    public static func list(store: TenantStore) throws -> PassReport {
        _ = try store.marker()
        var report = PassReport()
        var entries: [JSON] = []
        for rule in try store.loadExclusions() {
            let state = rule.isActive ? "active" : "removed \(rule.removedAt!.iso8601) by \(rule.removedBy ?? "?"): \(rule.removeReason ?? "")"
            report.say("\(rule.id)  \(state)  \(rule.summary)\(rule.label.map { "  \"\($0)\"" } ?? "")  (added \(rule.addedAt.iso8601) by \(rule.addedBy): \(rule.reason))")
            var object: JSONObject = ["ruleId": .string(rule.id), "active": .bool(rule.isActive), "rule": .string(rule.summary),
                                      "reason": .string(rule.reason), "addedAt": .string(rule.addedAt.iso8601), "addedBy": .string(rule.addedBy)]
            if let label = rule.label { object["label"] = .string(label) }
            entries.append(.object(object))
        }
        if entries.isEmpty { report.say("tenant \(store.tenantId): no exclusion rules") }
        report.json = ["tenantId": .string(store.tenantId), "rules": .array(entries)]
        return report
    }

    public static func remove(store: TenantStore, id: String, reason: String, context: PassContext) throws -> PassReport {
        _ = try store.marker()
        guard !reason.trimmingCharacters().isEmpty else { throw ConfigurationError("--reason is required: say why the rule ends") }
        try refusePhoneNumbers(in: reason, field: "--reason")
        guard let rule = try store.loadExclusions().first(where: { $0.id == id }) else {
            throw ConfigurationError("no exclusion rule \(id) in tenant \(store.tenantId); `ringlog exclude list --tenant \(store.tenantId)` shows them")
        }
        var report = PassReport()
        guard rule.isActive else {
            report.say("\(id) was already removed; nothing changed")
            report.json = ["tenantId": .string(store.tenantId), "ruleId": .string(id), "changed": false]
            return report
        }
        return try context.withWriter(store) { writer in
            try writer.appendGovernanceEvent(ExclusionLog.removedLine(id: id, reason: reason, at: context.now, actor: context.actor), to: store.exclusionsPath)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "exclusion.remove", reason: reason,
                                             changes: ["ruleId": .string(id), "rule": .string(rule.summary)]))
            report.say("removed \(id) (\(rule.summary)): the next sync archives such calls again; what was removed stays removed (its tombstones)")
            report.json = ["tenantId": .string(store.tenantId), "ruleId": .string(id), "changed": true]
            return report
        }
    }

    /// `ringlog exclude apply`: removes every archived item that an active rule matches, with the
    /// removal protocol but never through the trash (deleted at once), and deletes matching files
    /// already in the trash and matching `_unfiled` records. Items a legal hold keeps stay (reported;
    /// exit 4) until the hold is released.
    public static func apply(store: TenantStore, key: [UInt8]?, keyPath: String, dryRun: Bool, context: PassContext,
                             onPlannedFile: ((String, String) -> Void)? = nil) throws -> PassReport {
        let marker = try store.marker()
        let matcher = try ExclusionMatcher(rules: try store.loadExclusions(), key: key, keyPath: keyPath, country: marker.numberingCountry)
        let holds = Holds(active: try store.loadHolds().filter(\.isActive))
        var report = PassReport()
        report.json["tenantId"] = .string(store.tenantId)
        report.json["dryRun"] = .bool(dryRun)
        guard !matcher.isEmpty else {
            report.say("tenant \(store.tenantId): no active exclusion rules; nothing to apply")
            return report
        }
        let scan = { (writer: TenantWriter?, runId: String) throws -> (removed: Int, held: Int, trash: Int, unfiled: Int, perRule: [String: Int], errors: [String]) in
            var removed = 0, held = 0, trash = 0, unfiled = 0, errors: [String] = []
            var perRule: [String: Int] = [:]
            var started = false
            // A hold beats an exclusion (§14.3), also for a recording stored with an excluded call that a
            // held call elsewhere references; a reference from a call no hold covers keeps nothing.
            let references = try RecordingReferences.load(store: store, holds: holds)
            func matching(_ day: ArchiveReader.ItemDayFolder, base: String) -> [(PlannedRemoval, HoldScope.Identity, Timestamp)] {
                var found: [(PlannedRemoval, HoldScope.Identity, Timestamp)] = []
                let items = DayItems(names: day.names)
                func rule(of name: String) -> String? {
                    let path = DurableFiles.join(base, day.relativePath, name)
                    guard let bytes = try? DurableFiles.read(path) else {
                        errors.append("\(day.relativePath)/\(name) cannot be read; not checked")
                        return nil
                    }
                    guard let json = try? JSON.parse(bytes) else {
                        errors.append("\(day.relativePath)/\(name) is not JSON; not checked")
                        return nil
                    }
                    return matcher.match(json, extensionFolder: day.extensionFolder)
                }
                for group in items.sortedCalls {
                    // Each matching call goes with its recordings; a call of the same second that does not match stays.
                    let matches = group.sidecars.compactMap { entry in rule(of: entry.name).map { (entry, $0) } }
                    guard let (sidecar, rule) = matches.first else { continue }
                    let going = matches.map(\.0)
                    let soleCallId = going.count == 1 ? going[0].callId : nil
                    let recordings = group.recordings(goingWith: going.map(\.name), folder: DurableFiles.join(base == store.directory ? "" : String(base.dropFirst(store.directory.count + 1)), day.relativePath), store: store)
                    let files = recordings.map { recording -> PlannedRemoval.File in
                        var ids = recording.ids
                        if let soleCallId { ids["callId"] = .string(soleCallId) }
                        return PlannedRemoval.File(name: recording.name, kind: recording.manifestKind, ids: ids)
                    }
                        + going.map { PlannedRemoval.File(name: $0.name, kind: .call, ids: ["callId": .string($0.callId)]) }
                    var plan = PlannedRemoval(folder: day.relativePath, files: files, rule: rule, reason: .exclusion)
                    if base == store.directory {
                        plan.trashedMedia = going.flatMap { entry in
                            ((try? store.loadSidecar(day.relativePath + "/" + entry.name)) ?? nil)?.removedMedia.map(\.entry.file) ?? []
                        }
                    }
                    found.append((plan, .call(sidecar.callId), group.start))
                }
                for group in items.sortedVoicemails {
                    guard let sidecar = group.sidecar, let rule = rule(of: sidecar) else { continue }
                    let files = group.media.map { PlannedRemoval.File(name: $0.name, kind: $0.manifestKind, ids: $0.ids) }
                        + [PlannedRemoval.File(name: sidecar, kind: .message, ids: ["messageId": .string(group.messageId)])]
                    found.append((PlannedRemoval(folder: day.relativePath, files: files, rule: rule, reason: .exclusion), .message(group.messageId), group.start))
                }
                return found
            }
            try store.reader.forEachDayFolder { day in
                for (plan, identity, start) in matching(day, base: store.directory) {
                    let recordings = plan.files.compactMap { $0.kind == .recording ? ItemFileName($0.name) : nil }
                    if holds.holding(extensionFolder: day.extensionFolder, start: start, latestStart: start.adding(milliseconds: 999), item: identity) != nil
                        || references.holding(folder: day.relativePath, recordings: recordings, holds: holds) != nil
                    {
                        held += plan.files.count
                        continue
                    }
                    perRule[plan.rule, default: 0] += plan.files.count
                    for file in plan.files { onPlannedFile?(plan.path(file.name), plan.rule) }
                    guard let writer else {
                        removed += plan.files.count
                        continue
                    }
                    if !started {
                        try writer.beginRemovalRun(RemovalJournal(runId: runId, pass: .exclusion, startedAt: context.now, trashDays: nil))
                        started = true
                    }
                    do {
                        removed += try writer.remove(try removal(for: plan, store: store), runId: runId, disposal: .delete, at: context.now)
                    } catch let error as SidecarError { errors.append("\(error)") } catch let error as RemovalRefused { errors.append("\(error)") }
                    // The same item's files a purge put in the trash go too (recordings of a kept call): the
                    // number must leave the disk. Listed in the removed sidecar's archive.removedMedia.
                    for trashRun in store.trashRuns() {
                        for name in plan.trashedMedia where DurableFiles.exists(DurableFiles.join(store.trashDirectory, trashRun, day.relativePath, name)) {
                            try writer.deleteFromTrash(trashRun + "/" + day.relativePath + "/" + name)
                            trash += 1
                        }
                    }
                }
            }
            // Items a purge moved to the trash whole.
            for trashRun in store.trashRuns() {
                let base = DurableFiles.join(store.trashDirectory, trashRun)
                try ArchiveReader(tenantDirectory: base).forEachDayFolder { day in
                    for (plan, _, _) in matching(day, base: base) {
                        for file in plan.files {
                            onPlannedFile?(".trash/\(trashRun)/" + plan.path(file.name), plan.rule)
                            try writer?.deleteFromTrash(trashRun + "/" + plan.path(file.name))
                            trash += 1
                        }
                    }
                }
                try writer?.pruneTrashRun(trashRun)
            }
            // Records kept verbatim because they could not be filed (§6.5) carry numbers too.
            let unfiledBase = store.path(TenantWriter.unfiledDirectoryName)
            for day in DurableFiles.list(unfiledBase) where ArchiveReader.isDayFolder(day) {
                for name in DurableFiles.list(DurableFiles.join(unfiledBase, day)) where name.hasSuffix(".json") && !name.hasPrefix(".") {
                    let path = DurableFiles.join(unfiledBase, day, name)
                    guard let bytes = try? DurableFiles.read(path), let json = try? JSON.parse(bytes), let rule = matcher.match(json["record"] ?? json) else { continue }
                    perRule[rule, default: 0] += 1
                    onPlannedFile?("\(TenantWriter.unfiledDirectoryName)/\(day)/\(name)", rule)
                    try writer?.deleteUnfiled(day: day, name: name)
                    unfiled += 1
                }
            }
            return (removed, held, trash, unfiled, perRule, errors)
        }
        if dryRun {
            let result = try scan(nil, "")
            report.say("tenant \(store.tenantId): dry run: would delete \(result.removed) archived files, \(result.trash) files in the trash and "
                       + "\(result.unfiled) unfiled records; \(result.held) matching files are kept by legal holds; nothing was changed")
            for error in result.errors { report.say("error: \(error)") }
            report.json["planned"] = .int(result.removed)
            report.json["trash"] = .int(result.trash)
            report.json["unfiled"] = .int(result.unfiled)
            report.json["held"] = .int(result.held)
            if result.held > 0 || !result.errors.isEmpty { report.outcome = .partial }
            return report
        }
        return try context.withWriter(store) { writer in
            let recovered = try Recovery.finish(store: store, writer: writer, holds: holds.active, now: context.now)
            let runId = recovered.journal?.pass == .exclusion ? recovered.journal!.runId : TrashRun.newRunId(at: context.now)
            writer.runId = runId
            let result = try scan(writer, runId)
            let errors = recovered.errors + result.errors
            var perRule = JSONObject()
            for rule in result.perRule.keys.sorted() { perRule[rule] = .int(result.perRule[rule]!) }
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "exclusion.apply", reason: "exclusion rules",
                                             runId: runId, changes: ["removed": .int(result.removed + recovered.files), "trash": .int(result.trash),
                                                                     "unfiled": .int(result.unfiled), "held": .int(result.held), "perRule": .object(perRule),
                                                                     "errors": .array(errors.prefix(50).map { .string($0) })]))
            try writer.endRemovalRun()
            report.say("tenant \(store.tenantId): deleted \(result.removed + recovered.files) archived files, \(result.trash) files in the trash and "
                       + "\(result.unfiled) unfiled records that exclusion rules match")
            if result.held > 0 {
                report.say("\(result.held) matching files stay: a legal hold keeps them; release the hold and apply again to remove them")
            }
            for error in errors { report.say("error: \(error)") }
            if result.held > 0 || !errors.isEmpty { report.outcome = .partial }
            report.json["runId"] = .string(runId)
            report.json["removed"] = .int(result.removed + recovered.files)
            report.json["trash"] = .int(result.trash)
            report.json["unfiled"] = .int(result.unfiled)
            report.json["held"] = .int(result.held)
            report.json["perRule"] = .object(perRule)
            return report
        }
    }
}
