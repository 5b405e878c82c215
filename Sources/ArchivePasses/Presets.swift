import ArchiveStore

/// Retention presets with the rule each figure comes from. They are starting points chosen by
/// the regulation's minimum; counsel decides what a given company must keep.
public struct RetentionPreset: Sendable {
    public let name: String
    public let calls: RetentionPeriod
    public let recordings: RetentionPeriod
    public let voicemails: RetentionPeriod
    public let sms: RetentionPeriod
    public let faxes: RetentionPeriod
    public let pager: RetentionPeriod
    /// The legal source, precisely.
    public let source: String
    /// What the source says (or does not say) of text messages, faxes and pager messages.
    public let messageSource: String
    /// Insights: no preset sets them; they stay with their recording (see `insightsNote`).
    public static let insightsNote = "no preset's source names machine-made transcripts or summaries (RingSense insights): every preset "
        + "leaves insights with their recording's period; set --insights to keep them shorter or longer"

    init(name: String, years: Int, messageYears: Int? = nil, source: String, messageSource: String) {
        self.name = name
        calls = .period(count: years, unit: .y)
        recordings = calls
        voicemails = calls
        let messages = RetentionPeriod.period(count: messageYears ?? years, unit: .y)
        sms = messages
        faxes = messages
        pager = messages
        self.source = source
        self.messageSource = messageSource
    }

    public static let all: [RetentionPreset] = [
        RetentionPreset(name: "hipaa", years: 6,
                        source: "HIPAA Security Rule, 45 CFR 164.316(b)(2)(i): documentation is retained for 6 years from its creation "
                            + "or the date it was last in effect, whichever is later (HIPAA sets no period for medical records "
                            + "themselves; state law may require longer)",
                        messageSource: "the same 6 years for faxes, SMS/MMS and pager messages: HIPAA names no message kind and sets "
                            + "no period for communications as such; 164.316(b)(2)(i) is the period for documentation the rules require, "
                            + "and a fax carrying PHI (how clinics still exchange records) is kept at least as long as the calls"),
        RetentionPreset(name: "sox", years: 7,
                        source: "Sarbanes-Oxley Act § 802 (18 U.S.C. 1520) and SEC Rule 2-06 of Regulation S-X (17 CFR 210.2-06): "
                            + "audit and review records, including communications, are retained for 7 years after the audit or "
                            + "review concludes",
                        messageSource: "7 years for faxes, SMS/MMS and pager messages too: Rule 2-06(a) covers records, electronic "
                            + "records included, created, sent or received in connection with an audit or review, whatever the medium"),
        RetentionPreset(name: "mifid2", years: 5,
                        source: "MiFID II, Directive 2014/65/EU Art. 16(7), with Commission Delegated Regulation (EU) 2017/565 "
                            + "Art. 76: recordings of telephone conversations are kept for 5 years, and up to 7 years where the "
                            + "competent authority requests it (then set --calls/--recordings/--voicemails 7y)",
                        messageSource: "5 years for SMS/MMS, faxes and pager messages: Art. 16(7) requires the recording of "
                            + "\"telephone conversations or electronic communications\" relating to transactions and client orders, "
                            + "kept 5 years (up to 7 on the competent authority's request: --sms 7y --faxes 7y --pager 7y); "
                            + "it names no medium, so whether a fax is such an electronic communication is for counsel"),
        RetentionPreset(name: "finra", years: 6,
                        source: "FINRA Rule 4511(b): records with no period specified elsewhere are preserved for at least 6 years; "
                            + "SEC Rule 17a-4(b)(4) (17 CFR 240.17a-4(b)(4)) requires 3 years (the first 2 easily accessible) for "
                            + "business communications, and FINRA Rule 3170 3 years for tape recordings, so 6 years is the safe "
                            + "default; --recordings 3y only if counsel agrees",
                        messageSource: "6 years for SMS/MMS, faxes and pager messages: SEC Rule 17a-4(b)(4) requires originals of all "
                            + "communications received and copies of all sent relating to the business as such, texts included "
                            + "(the SEC's and FINRA's off-channel messaging cases), for 3 years, the first 2 easily accessible; "
                            + "6 years follows FINRA Rule 4511(b)'s default; --sms 3y --faxes 3y --pager 3y only if counsel agrees"),
    ]

    public static func named(_ name: String) -> RetentionPreset? { all.first { $0.name == name.lowercased() } }
}
