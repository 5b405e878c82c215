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
}
