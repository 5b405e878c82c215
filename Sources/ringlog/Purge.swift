import ArchivePasses
import ArchiveStore
import ArgumentParser
import RinglogSupport

struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove what the retention policy expires and no legal hold keeps.",
        discussion: """
            Per item, its tombstone (tombstones/YYYY-MM.jsonl) is durable before any file
            goes; media go before their sidecar; a call whose recordings (or RingSense
            insights) go while its record stays lists them under archive.removedMedia. A
            message of any kind (voicemail, fax, SMS/MMS, pager) goes whole, its sidecar
            with every attachment, when its kind's period has passed since its creation. Files move to
            <tenant>/.trash/<runId>/ for the policy's trashDays (default 7; 0 deletes at
            once), and a later purge empties expired trash. Sync never brings a purged item
            back. A purge killed at any moment finishes its work on the next run.

            Guard: a run that would remove more files than --max-delete (default: the
            policy's, else 500) removes nothing and exits 2, saying how many. --dry-run
            prints the plan and changes nothing at all under the root (no lease, no log).
            No policy means everything is kept forever; purge then says so.
            Takes the tenant's lease (exit 5 while a sync holds it).

            Examples:
              ringlog purge --tenant 3f9c2a71d04e8b16 --dry-run
              ringlog purge --all
              ringlog purge --tenant 3f9c2a71d04e8b16 --max-delete 12000
            """)
    @OptionGroup var root: RootOption
    @Option(help: "This tenant.") var tenant: String?
    @Flag(help: "Every active tenant.") var all = false
    @Flag(help: "Print the plan; change nothing.") var dryRun = false
    @Option(help: ArgumentHelp("Refuse a run that would remove more files than this.", valueName: "N")) var maxDelete: Int?
    @Flag(help: "Print JSON (an array, one object per tenant).") var json = false

    func validate() throws {
        if (tenant == nil) == !all { throw ValidationError("use --tenant ID or --all") }
        if let maxDelete, maxDelete < 0 { throw ValidationError("--max-delete must not be negative") }
    }

    func run() throws {
        let (archive, ids) = try withConfigurationErrors("purge") { () throws -> (ArchiveRoot, [String]) in
            let archive = try ArchiveRoot.open(root.path)
            return (archive, try archive.tenantMarkers(selecting: tenant).map(\.tenantId))
        }
        let context = try passContext(command: "purge")
        let plan = BufferedOutput()  // a plan can be thousands of lines: written in large blocks
        defer { plan.flush() }
        var reports: [JSON] = []
        var worst: ExitCode?
        for id in ids {
            do {
                let report = try withConfigurationErrors("purge") {
                    try Purge.run(store: archive.store(for: id), dryRun: dryRun, maxDelete: maxDelete, context: context,
                                  onPlannedFile: dryRun && !json ? { path, rule in plan.write("would remove \(path) (\(rule))\n") } : nil)
                }
                plan.flush()
                if json { reports.append(.object(report.json)) } else { for line in report.lines { print(line) } }
                if report.outcome == .refused { worst = ExitStatus.configuration }
                if report.outcome == .partial && worst == nil { worst = ExitStatus.partial }
            } catch let code as ExitCode {
                if worst == nil || code == ExitStatus.failure { worst = code }
            }
        }
        if json { print(JSON.array(reports).serialized(.pretty)) }
        if let worst { throw worst }
    }
}
