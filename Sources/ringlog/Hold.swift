import ArchivePasses
import ArchiveStore
import ArgumentParser
import RinglogSupport

struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Place, list and release legal holds: nothing a hold keeps is purged, trashed or emptied from the trash.",
        discussion: """
            Holds are append-only events in <tenant>/holds.jsonl. A hold with no scope keeps
            the whole tenant; the parts given narrow one another (extension AND dates AND
            call/message). If holds.jsonl cannot be read, purge refuses to run.
            """,
        subcommands: [Add.self, List.self, Release.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Place a hold; prints its id.",
            discussion: """
                --extension: the extension folder as in the tree: the number (101),
                id-<extensionId>, or _account. --from/--to: dates (UTC; --to includes its whole
                day) or ISO 8601 instants, on the item's start. --call: a RingCentral call id
                (keeps its record, recordings and insights). --message: a message id of any
                kind (a voicemail, fax, SMS/MMS or pager message: its sidecar and every
                attachment). The other parts keep messages as they keep calls.

                Examples:
                  ringlog hold add --tenant 3f9c2a71d04e8b16 --reason "Doe v. Acme, matter 2026-114"
                  ringlog hold add --tenant 3f9c2a71d04e8b16 --extension 101 --from 2026-01-01 --to 2026-03-31 --reason "audit Q1"
                """)
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Option(name: .customLong("extension"), help: ArgumentHelp("Extension folder: NUM, id-X or _account.", valueName: "folder")) var extensionFolder: String?
        @Option(help: ArgumentHelp("Items that started on or after this date or instant.", valueName: "date")) var from: String?
        @Option(help: ArgumentHelp("Items that started on or before this date (whole day) or instant.", valueName: "date")) var to: String?
        @Option(help: ArgumentHelp("One call (RingCentral call id).", valueName: "id")) var call: String?
        @Option(help: ArgumentHelp("One message: voicemail, fax, SMS/MMS or pager (message id).", valueName: "id")) var message: String?
        @Option(help: "Why (a case or matter reference).") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "hold add")
            let context = try passContext(command: "hold add")
            try runPass("hold add", json: json) {
                let scope = HoldScope(extensionFolder: try extensionFolder.map(LegalHolds.parseExtension),
                                      from: try from.map { try LegalHolds.parseBound($0, field: "--from", end: false) },
                                      to: try to.map { try LegalHolds.parseBound($0, field: "--to", end: true) }, callId: call, messageId: message)
                return try LegalHolds.add(store: store, scope: scope, reason: reason, context: context)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List holds, released ones included.")
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "hold list")
            try runPass("hold list", json: json) { try LegalHolds.list(store: store) }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a hold (the event stays in holds.jsonl).")
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Argument(help: "Hold id (hold-…).") var id: String
        @Option(help: "Why the hold ends.") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "hold release")
            let context = try passContext(command: "hold release")
            try runPass("hold release", json: json) { try LegalHolds.release(store: store, id: id, reason: reason, context: context) }
        }
    }
}
