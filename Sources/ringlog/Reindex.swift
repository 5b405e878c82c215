import ArgumentParser
import RinglogCore
import RinglogSupport

struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the manifest from the sidecars alone.",
        discussion: """
            Reads every sidecar of the tenant and rewrites manifest/YYYY-MM.jsonl (lines
            sorted), each shard replaced atomically. The result holds the same lines as
            the incrementally written manifest. Takes the tenant's lock. --dry-run
            prints what would change.
            """)

    @OptionGroup var root: RootOption
    @Option(help: "This tenant only (default: every active tenant).") var tenant: String?
    @Flag(help: "Report differences; write nothing.") var dryRun = false

    func run() throws {
        let tenants = try withConfigurationErrors("reindex") { try ArchiveRoot.open(root.path).tenants(selecting: tenant) }
        for marker in tenants {
            let directory = DurableFiles.join(root.path, marker.tenantId)
            let lock: LeaseLock?
            do {
                lock = dryRun ? nil : try LeaseLock.acquire(path: DurableFiles.join(directory, SyncEngine.controlDirectoryName, "lock"))
            } catch let held as LeaseLock.Held {
                printError("ringlog reindex: \(held)")
                throw ExitStatus.lockHeld
            }
            defer { lock?.release() }
            let before = currentLines(directory)
            let shards = try withConfigurationErrors("reindex") { try Manifest.rebuild(tenantDirectory: directory, dryRun: dryRun) }
            let after = Set(shards.values.joined())
            let swept = dryRun ? 0 : sweepTree(directory)
            print("tenant \(marker.tenantId): \(after.count) manifest lines in \(shards.count) shards; "
                  + "\(after.subtracting(before).count) added, \(before.subtracting(after).count) dropped"
                  + (dryRun ? " (dry run: nothing written)" : "; \(swept) stale temporary files removed"))
        }
    }

    private func currentLines(_ tenantDirectory: String) -> Set<String> {
        let directory = DurableFiles.join(tenantDirectory, Manifest.directoryName)
        var lines = Set<String>()
        for name in DurableFiles.list(directory) where name.hasSuffix(".jsonl") {
            let text = String(decoding: (try? DurableFiles.read(DurableFiles.join(directory, name))) ?? [], as: UTF8.self)
            for line in text.split(separator: "\n") where !line.isEmpty { lines.insert(String(line)) }
        }
        return lines
    }

    /// A full sweep of stale temporary files (a sync only sweeps the directories it writes to).
    private func sweepTree(_ tenantDirectory: String) -> Int {
        var removed = DurableFiles.sweepTemporaryFiles(in: tenantDirectory)
        for folder in DurableFiles.list(tenantDirectory) where DurableFiles.isDirectory(DurableFiles.join(tenantDirectory, folder)) {
            removed += DurableFiles.sweepTemporaryFiles(in: DurableFiles.join(tenantDirectory, folder))
            for day in DurableFiles.list(DurableFiles.join(tenantDirectory, folder)) {
                removed += DurableFiles.sweepTemporaryFiles(in: DurableFiles.join(tenantDirectory, folder, day))
            }
        }
        return removed
    }
}
