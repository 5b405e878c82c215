import ArchivePasses
import ArchiveStore
import ArgumentParser
import RinglogSupport

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Show or set how long a tenant's calls, recordings, insights, voicemails, faxes, SMS and pager messages are kept.",
        discussion: """
            The policy lives in the tree, at <tenant>/policy.json, so that it travels with
            the archive: an auditor sees the rule beside what it governs. No policy means
            everything is kept forever. `ringlog purge` applies it.
            """,
        subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the tenant's retention policy.")
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "policy show")
            try runPass("policy show", json: json) { try Policy.show(store: store) }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set (or change) the retention policy; prints what a purge would now remove.",
            discussion: """
                Durations: Nd, Nw, Ny (a year is 365 days) or forever; at least 1d. Age counts
                from the item's start (UTC): a call's startTime, a message's creationTime.
                `calls` is a call's record (its sidecar), `recordings` its audio, `insights`
                its RingSense insights files (default: as long as the recordings; give
                `--insights recordings` to follow them again). Each message kind is kept
                whole, its sidecar with every attachment: `voicemails` (audio,
                transcription), `faxes` (received and sent, with their documents), `sms`
                (SMS and MMS, with text and pictures), `pager`. calls may not be shorter
                than recordings or insights (a record must not go before its media). What
                you do not give keeps its current value; a kind a policy never named
                (faxes, sms, pager in a policy set before ringlog archived them) is kept
                forever. A legal hold keeps messages as it keeps calls (by extension, time
                range or --message-id). A voicemail or fax linked to a call follows its own
                kind's period: the call's sidecar then names a removed message (its
                tombstone says so), which verify does not call damage.

                Presets (the regulation's minimum; your counsel decides what you must keep):
                  hipaa   6y  HIPAA Security Rule, 45 CFR 164.316(b)(2)(i): documentation is
                              kept 6 years from creation or last effective date, whichever
                              is later (medical records themselves: state law). HIPAA
                              names no message kind: faxes (PHI), SMS, pager 6y too
                  sox     7y  Sarbanes-Oxley § 802 (18 U.S.C. 1520) and SEC Rule 2-06 of
                              Regulation S-X (17 CFR 210.2-06): audit and review records,
                              communications and electronic records included, 7 years after
                              the audit concludes; every message kind 7y
                  mifid2  5y  MiFID II, Directive 2014/65/EU Art. 16(7), and Delegated
                              Regulation (EU) 2017/565 Art. 76: telephone conversations and
                              electronic communications 5 years, up to 7 if the competent
                              authority asks (then 7y for each kind); SMS, faxes, pager 5y
                              (the article names no medium: counsel decides on faxes)
                  finra   6y  FINRA Rule 4511(b): 6 years where no other period applies;
                              SEC Rule 17a-4(b)(4) (business communications, texts, faxes
                              and pager messages included) and FINRA Rule 3170 (tape
                              recordings) require at least 3 years, so --recordings 3y and
                              --sms 3y are possible if counsel agrees; every kind 6y
                A preset sets calls, recordings, voicemails, faxes, sms and pager; insights
                follow the recordings (no preset's source names them); other flags override.

                --trash-days N: purged files wait N days in <tenant>/.trash/<runId>/ before a
                later purge empties them (default 7; 0 deletes at once).
                --max-delete N: a purge that would remove more files than this removes nothing
                (default 500) and says how to proceed.

                Examples:
                  ringlog policy set --tenant 3f9c2a71d04e8b16 --preset hipaa --reason "HIPAA programme, ticket 4411"
                  ringlog policy set --tenant 3f9c2a71d04e8b16 --recordings 2y --calls 7y --reason "counsel memo 2026-11"
                  ringlog policy set --tenant 3f9c2a71d04e8b16 --sms 3y --insights 90d --reason "texts 17a-4(b)(4); AI notes 90 days"
                """)
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Option(help: ArgumentHelp("How long call records are kept.", valueName: "duration")) var calls: String?
        @Option(help: ArgumentHelp("How long call recordings are kept.", valueName: "duration")) var recordings: String?
        @Option(help: ArgumentHelp("How long voicemails (sidecar, audio, transcription) are kept.", valueName: "duration")) var voicemails: String?
        @Option(help: ArgumentHelp("How long SMS and MMS messages (sidecar, text, pictures) are kept.", valueName: "duration")) var sms: String?
        @Option(help: ArgumentHelp("How long faxes, received and sent (sidecar, documents), are kept.", valueName: "duration")) var faxes: String?
        @Option(help: ArgumentHelp("How long pager messages are kept.", valueName: "duration")) var pager: String?
        @Option(help: ArgumentHelp("How long a recording's RingSense insights are kept (`recordings`: as the recording).", valueName: "duration"))
        var insights: String?
        @Option(help: ArgumentHelp("Days purged files stay in the trash (0: deleted at once).", valueName: "N")) var trashDays: Int?
        @Option(help: ArgumentHelp("The purge guard: most files one purge may remove.", valueName: "N")) var maxDelete: Int?
        @Option(help: "hipaa, sox, mifid2 or finra (see above).") var preset: String?
        @Option(help: "Why (goes into logs/audit.jsonl).") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "policy set")
            let context = try passContext(command: "policy set")
            let changes = Policy.Changes(calls: calls, recordings: recordings, voicemails: voicemails, sms: sms, faxes: faxes, pager: pager,
                                         insights: insights, trashDays: trashDays, maxDelete: maxDelete, preset: preset)
            try runPass("policy set", json: json) { try Policy.set(store: store, changes: changes, reason: reason, context: context) }
        }
    }
}
