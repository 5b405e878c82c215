import ArchiveStore
import RinglogSupport

/// `ringlog tenant set`: settings kept in tenant.json.
public enum TenantSettings {
    /// The country national-form phone numbers are read in (exclusion rules, and the numbers of records).
    public static func setCountry(store: TenantStore, country code: String, reason: String, context: PassContext) throws -> PassReport {
        guard let country = PhoneNumbers.country(code) else {
            throw ConfigurationError("--country \(code.debugDescription) is not a country ringlog reads national numbers of; one of: \(PhoneNumbers.coveredCodes)")
        }
        try refusePhoneNumbers(in: reason, field: "--reason")
        var report = PassReport()
        return try context.withWriter(store) { writer in
            var marker = try store.marker()  // re-read under the lease: keys added meanwhile are kept
            let before = marker.country
            guard before != country.iso else {
                report.say("tenant \(store.tenantId): country is already \(country.iso); nothing changed")
                report.json = ["tenantId": .string(store.tenantId), "country": .string(country.iso), "changed": false]
                return report
            }
            marker.country = country.iso
            try writer.saveMarker(marker)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "tenant.set", reason: reason,
                                             changes: ["country": ["before": before.map { .string($0) } ?? .null, "after": .string(country.iso)]]))
            report.say("tenant \(store.tenantId): numbers in national form are now read as \(country.name) (+\(country.callingCode))")
            report.json = ["tenantId": .string(store.tenantId), "country": .string(country.iso), "changed": true]
            return report
        }
    }

    /// The message kinds archived (`--messages voicemail,fax,sms,pager` or `none`). A kind added
    /// is backfilled from `since` by the next sync; a kind removed is no longer asked for, and what
    /// was archived of it stays.
    public static func setMessages(store: TenantStore, messages text: String, reason: String, context: PassContext) throws -> PassReport {
        let kinds: MessageKinds
        do { kinds = try MessageKinds(parsing: text) } catch { throw ConfigurationError(error.description) }
        try refusePhoneNumbers(in: reason, field: "--reason")
        var report = PassReport()
        return try context.withWriter(store) { writer in
            var marker = try store.marker()  // re-read under the lease: keys added meanwhile are kept
            let before = marker.messageKinds
            guard before != kinds else {
                report.say("tenant \(store.tenantId): messages are already \(kinds.description); nothing changed")
                report.json = ["tenantId": .string(store.tenantId), "messages": .string(kinds.description), "changed": false]
                return report
            }
            marker.messages = kinds
            try writer.saveMarker(marker)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "tenant.set", reason: reason,
                                             changes: ["messages": ["before": .string(before.description), "after": .string(kinds.description)]]))
            let added = kinds.kinds.subtracting(before.kinds).sorted().map(\.rawValue)
            report.say("tenant \(store.tenantId): messages archived: \(kinds.description)"
                       + (added.isEmpty ? "" : "; the next sync lists \(added.joined(separator: ", ")) from the tenant's since"))
            report.json = ["tenantId": .string(store.tenantId), "messages": .string(kinds.description), "changed": true]
            return report
        }
    }

    /// Whether sync asks RingSense for recordings' insights (`on`, `off`, `auto`; absent means `auto`).
    public static func setInsights(store: TenantStore, setting: InsightsSetting, reason: String, context: PassContext) throws -> PassReport {
        try refusePhoneNumbers(in: reason, field: "--reason")
        var report = PassReport()
        return try context.withWriter(store) { writer in
            var marker = try store.marker()  // re-read under the lease: keys added meanwhile are kept
            let before = marker.insights ?? .auto
            report.json = ["tenantId": .string(store.tenantId), "insights": .string(setting.rawValue), "changed": .bool(before != setting)]
            guard before != setting else {
                report.say("tenant \(store.tenantId): RingSense insights are already \(setting.rawValue); nothing changed")
                return report
            }
            marker.insights = setting
            try writer.saveMarker(marker)
            try writer.appendAudit(AuditLine(at: context.now, actor: context.actor, action: "tenant.set", reason: reason,
                                             changes: ["insights": ["before": .string(before.rawValue), "after": .string(setting.rawValue)]]))
            report.say("tenant \(store.tenantId): RingSense insights \(setting.rawValue)" + (setting == .off ? " (never asked)" : setting == .on
                ? " (an account without RingSense is an item error in each run)" : " (asked; an account without RingSense turns them off for the run with one warning)"))
            return report
        }
    }
}
