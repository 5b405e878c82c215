import ArchiveStore
import RinglogSupport

/// `ringlog hold add|list|release`.

public enum LegalHolds {
    /// `--from`/`--to`: a date (`2026-03-31`: from its first, to its last millisecond, UTC) or an instant.
    public static func parseBound(_ text: String, field: String, end: Bool) throws(ConfigurationError) -> Timestamp {
        guard let time = Timestamp(iso8601: text) else {
            throw ConfigurationError("\(field) \(text.debugDescription) is not a date (2026-03-31) or an ISO 8601 instant")
        }
        return end && text.utf8.count == 10 ? time.adding(milliseconds: 86_400_000 - 1) : time
    }

    /// `--extension`: the folder name as the tree has it: a number, `id-<extensionId>`, or `_account`.
    public static func parseExtension(_ text: String) throws(ConfigurationError) -> String {
        guard ArchiveReader.isExtensionFolder(text) else {
            throw ConfigurationError("--extension \(text.debugDescription) is not an extension folder: give the number (101), id-<extensionId>, or _account")
        }
        return text
    }

    public static func add(store: TenantStore, scope: HoldScope, reason: String, context: PassContext) throws -> PassReport {
        _ = try store.marker()
        guard !reason.trimmingCharacters().isEmpty else { throw ConfigurationError("--reason is required: say why (a case or matter reference)") }
        try refusePhoneNumbers(in: reason, field: "--reason")
        if let from = scope.from, let to = scope.to, to < from { throw ConfigurationError("--to \(to.iso8601) is before --from \(from.iso8601)") }
        if let callId = scope.callId, (try? ArchiveNames.callId(callId)) == nil {
            throw ConfigurationError("--call \(callId.debugDescription) is not a RingCentral call id ([A-Za-z0-9_-], at most 64)")
        }
        if let messageId = scope.messageId, (try? ArchiveNames.numericId(messageId, field: "message id")) == nil {
            throw ConfigurationError("--message \(messageId.debugDescription) is not a RingCentral message id (digits)")
        }
        _ = try store.loadHolds()  // a damaged file is reported before anything is appended to it
        let id = HoldLog.newId()
        return try context.withWriter(store) { writer in
            try writer.appendGovernanceEvent(HoldLog.addedLine(id: id, scope: scope, reason: reason, at: context.now, actor: context.actor), to: store.holdsPath)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "hold.add", reason: reason,
                                             changes: ["holdId": .string(id), "scope": .string(scope.summary)]))
            var report = PassReport()
            report.say(id)
            report.json = ["tenantId": .string(store.tenantId), "holdId": .string(id), "scope": .string(scope.summary)]
            return report
        }
    }

    public static func list(store: TenantStore, includeReleased: Bool = true) throws -> PassReport {
        _ = try store.marker()
        var report = PassReport()
        let holds = try store.loadHolds()
        var entries: [JSON] = []
        for hold in holds where includeReleased || hold.isActive {
            let state = hold.isActive ? "active" : "released \(hold.releasedAt!.iso8601) by \(hold.releasedBy ?? "?"): \(hold.releaseReason ?? "")"
            report.say("\(hold.id)  \(state)  keeps \(hold.scope.summary)  (added \(hold.addedAt.iso8601) by \(hold.addedBy): \(hold.reason))")
            var object: JSONObject = ["holdId": .string(hold.id), "active": .bool(hold.isActive), "scope": .string(hold.scope.summary),
                                      "reason": .string(hold.reason), "addedAt": .string(hold.addedAt.iso8601), "addedBy": .string(hold.addedBy)]
            if let at = hold.releasedAt { object["releasedAt"] = .string(at.iso8601) }
            entries.append(.object(object))
        }
        if entries.isEmpty { report.say("tenant \(store.tenantId): no legal holds") }
        report.json = ["tenantId": .string(store.tenantId), "holds": .array(entries)]
        return report
    }

    public static func release(store: TenantStore, id: String, reason: String, context: PassContext) throws -> PassReport {
        _ = try store.marker()
        guard !reason.trimmingCharacters().isEmpty else { throw ConfigurationError("--reason is required: say why the hold ends") }
        try refusePhoneNumbers(in: reason, field: "--reason")
        guard let hold = try store.loadHolds().first(where: { $0.id == id }) else {
            throw ConfigurationError("no hold \(id) in tenant \(store.tenantId); `ringlog hold list --tenant \(store.tenantId)` shows them")
        }
        var report = PassReport()
        guard hold.isActive else {
            report.say("hold \(id) was already released \(hold.releasedAt!.iso8601); nothing changed")
            report.json = ["tenantId": .string(store.tenantId), "holdId": .string(id), "changed": false]
            return report
        }
        return try context.withWriter(store) { writer in
            try writer.appendGovernanceEvent(HoldLog.releasedLine(id: id, reason: reason, at: context.now, actor: context.actor), to: store.holdsPath)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "hold.release", reason: reason,
                                             changes: ["holdId": .string(id), "scope": .string(hold.scope.summary)]))
            report.say("released \(id) (it kept \(hold.scope.summary)); the next purge removes what the policy expires and no other hold keeps")
            report.json = ["tenantId": .string(store.tenantId), "holdId": .string(id), "changed": true]
            return report
        }
    }
}
