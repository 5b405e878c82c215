import ArchivePasses
import ArchiveStore
import ArgumentParser
import RinglogSupport

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Show or set how long a tenant's calls, recordings and voicemails are kept.",
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
                from the item's start (UTC). `calls` is a call's record (its sidecar),
                `recordings` its media; `voicemails` a voicemail's sidecar, audio and
                transcription together. calls may not be shorter than recordings (a record
                must not go before its media). What you do not give keeps its current value.

                Presets (the regulation's minimum; your counsel decides what you must keep):
                  hipaa   6y  HIPAA Security Rule, 45 CFR 164.316(b)(2)(i): documentation is
                              kept 6 years from creation or last effective date, whichever
                              is later (medical records themselves: state law)
                  sox     7y  Sarbanes-Oxley § 802 (18 U.S.C. 1520) and SEC Rule 2-06 of
                              Regulation S-X (17 CFR 210.2-06): audit and review records,
                              communications included, 7 years after the audit concludes
                  mifid2  5y  MiFID II, Directive 2014/65/EU Art. 16(7), and Delegated
                              Regulation (EU) 2017/565 Art. 76: recorded telephone
                              conversations 5 years, up to 7 if the competent authority asks
                              (then --calls 7y --recordings 7y --voicemails 7y)
                  finra   6y  FINRA Rule 4511(b): 6 years where no other period applies;
                              SEC Rule 17a-4(b)(4) (business communications) and FINRA Rule
                              3170 (tape recordings) require at least 3 years, so --recordings
                              3y is possible if counsel agrees
                A preset sets calls, recordings and voicemails; other flags then override.

                --trash-days N: purged files wait N days in <tenant>/.trash/<runId>/ before a
                later purge empties them (default 7; 0 deletes at once).
                --max-delete N: a purge that would remove more files than this removes nothing
                (default 500) and says how to proceed.

                Examples:
                  ringlog policy set --tenant 3f9c2a71d04e8b16 --preset hipaa --reason "HIPAA programme, ticket 4411"
                  ringlog policy set --tenant 3f9c2a71d04e8b16 --recordings 2y --calls 7y --reason "counsel memo 2026-11"
                """)
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Option(help: ArgumentHelp("How long call records are kept.", valueName: "duration")) var calls: String?
        @Option(help: ArgumentHelp("How long call recordings are kept.", valueName: "duration")) var recordings: String?
        @Option(help: ArgumentHelp("How long voicemails (sidecar, audio, transcription) are kept.", valueName: "duration")) var voicemails: String?
        @Option(help: ArgumentHelp("Days purged files stay in the trash (0: deleted at once).", valueName: "N")) var trashDays: Int?
        @Option(help: ArgumentHelp("The purge guard: most files one purge may remove.", valueName: "N")) var maxDelete: Int?
        @Option(help: "hipaa, sox, mifid2 or finra (see above).") var preset: String?
        @Option(help: "Why (goes into logs/audit.jsonl).") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "policy set")
            let context = try passContext(command: "policy set")
            let changes = Policy.Changes(calls: calls, recordings: recordings, voicemails: voicemails, trashDays: trashDays, maxDelete: maxDelete,
                                         preset: preset)
            try runPass("policy set", json: json) { try Policy.set(store: store, changes: changes, reason: reason, context: context) }
        }
    }
}
