import ArchiveStore

/// Retention presets with the rule each figure comes from. They are starting points chosen by
/// the regulation's minimum; counsel decides what a given company must keep.
public struct RetentionPreset: Sendable {
    public let name: String
    public let calls: RetentionPeriod
    public let recordings: RetentionPeriod
    public let voicemails: RetentionPeriod
    /// The legal source, precisely.
    public let source: String

    public static let all: [RetentionPreset] = [
        RetentionPreset(name: "hipaa", calls: .period(count: 6, unit: .y), recordings: .period(count: 6, unit: .y),
                        voicemails: .period(count: 6, unit: .y),
                        source: "HIPAA Security Rule, 45 CFR 164.316(b)(2)(i): documentation is retained for 6 years from its creation "
                            + "or the date it was last in effect, whichever is later (HIPAA sets no period for medical records "
                            + "themselves; state law may require longer)"),
        RetentionPreset(name: "sox", calls: .period(count: 7, unit: .y), recordings: .period(count: 7, unit: .y),
                        voicemails: .period(count: 7, unit: .y),
                        source: "Sarbanes-Oxley Act § 802 (18 U.S.C. 1520) and SEC Rule 2-06 of Regulation S-X (17 CFR 210.2-06): "
                            + "audit and review records, including communications, are retained for 7 years after the audit or "
                            + "review concludes"),
        RetentionPreset(name: "mifid2", calls: .period(count: 5, unit: .y), recordings: .period(count: 5, unit: .y),
                        voicemails: .period(count: 5, unit: .y),
                        source: "MiFID II, Directive 2014/65/EU Art. 16(7), with Commission Delegated Regulation (EU) 2017/565 "
                            + "Art. 76: recordings of telephone conversations are kept for 5 years, and up to 7 years where the "
                            + "competent authority requests it (then set --calls/--recordings/--voicemails 7y)"),
        RetentionPreset(name: "finra", calls: .period(count: 6, unit: .y), recordings: .period(count: 6, unit: .y),
                        voicemails: .period(count: 6, unit: .y),
                        source: "FINRA Rule 4511(b): records with no period specified elsewhere are preserved for at least 6 years; "
                            + "SEC Rule 17a-4(b)(4) (17 CFR 240.17a-4(b)(4)) requires 3 years (the first 2 easily accessible) for "
                            + "business communications, and FINRA Rule 3170 3 years for tape recordings, so 6 years is the safe "
                            + "default; --recordings 3y only if counsel agrees"),
    ]

    public static func named(_ name: String) -> RetentionPreset? { all.first { $0.name == name.lowercased() } }
}
