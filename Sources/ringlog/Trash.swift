import ArchivePasses
import ArchiveStore
import ArgumentParser
import RinglogSupport

struct TrashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trash",
        abstract: "List, restore or empty what purges moved to <tenant>/.trash/<runId>/.",
        discussion: "Files a legal hold keeps are never emptied from the trash. Exclusions delete at once and never use the trash.",
        subcommands: [List.self, Restore.self, Empty.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trash runs with their files, sizes and expiry.")
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "trash list")
            try runPass("trash list", json: json) { try Trash.list(store: store) }
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a purge run's files back where they were.",
            discussion: """
                Media go back before their sidecars; a kept call lists its restored recordings
                again; each file's tombstone gets a restoration line. What the policy still
                expires is purged again by the next purge: place a hold or change the policy
                first. Files that are in the tree again are left in the trash.
                """)
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Argument(help: "The purge run id (see `trash list`).") var runId: String
        @Option(help: "Why (goes into logs/audit.jsonl).") var reason = "restored from the trash"
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "trash restore")
            let context = try passContext(command: "trash restore")
            try runPass("trash restore", json: json) { try Trash.restore(store: store, runId: runId, reason: reason, context: context) }
        }
    }

    struct Empty: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the trash now (every run, or --run), except held files.")
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Option(name: .customLong("run"), help: "Only this trash run.") var runId: String?
        @Flag(help: "Say what would be deleted; change nothing.") var dryRun = false
        @Option(help: "Why (goes into logs/audit.jsonl).") var reason = "trash emptied by hand"
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "trash empty")
            let context = try passContext(command: "trash empty")
            try runPass("trash empty", json: json) { try Trash.emptyNow(store: store, runId: runId, dryRun: dryRun, reason: reason, context: context) }
        }
    }
}
