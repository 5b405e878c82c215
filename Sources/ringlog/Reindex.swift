import ArchiveStore
import ArgumentParser
import RinglogSupport

struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the manifest from the sidecars alone.",
        discussion: """
            Reads every sidecar of the tenant, one month at a time, and rewrites
            manifest/YYYY-MM.jsonl (lines sorted), each shard replaced atomically. The
            result holds the same lines as the incrementally written manifest. A month
            with a sidecar that cannot be read is reported and its shard left as it is.
            Takes the tenant's lease (exit 5 while a sync holds it); a tenant that was
            never synced is fine. --dry-run prints what would change and writes nothing.

            Examples:
              ringlog reindex --root /srv/archive --tenant 3f9c2a71d04e8b16 --dry-run
              ringlog reindex --root /srv/archive
            """)

    @OptionGroup var root: RootOption
    @Option(help: "This tenant only (default: every active tenant).") var tenant: String?
    @Flag(help: "Report differences; write nothing.") var dryRun = false

    func run() throws {
        let (archive, tenants) = try withConfigurationErrors("reindex") { () throws -> (ArchiveRoot, [(String, Result<TenantMarker, any Error>)]) in
            let archive = try ArchiveRoot.open(root.path)
            return (archive, try archive.tenantMarkers(selecting: tenant).map { ($0.tenantId, $0.marker) })
        }
        let lease = try withConfigurationErrors("reindex") { try leaseSeconds(environment()) }
        var worst: ExitCode?
        for (id, result) in tenants {
            do {
                let marker = try result.get()  // a damaged tenant.json fails that tenant; the others go on
                try reindex(archive.store(for: marker.tenantId), leaseSeconds: lease)
            } catch {
                if !(error is ExitCode) { printError("ringlog reindex: tenant \(id): \(error)") }
                let status = exitStatus(for: error)
                if worst == nil || status == ExitStatus.failure { worst = status }
            }
        }
        if let worst { throw worst }
    }

    private func reindex(_ store: TenantStore, leaseSeconds: Double) throws {
        let writer = dryRun ? nil : try store.openWriter(leaseSeconds: leaseSeconds)
        defer { writer?.close() }
        var lines = 0, shards = 0, added = 0, dropped = 0
        var unreadable: [SidecarError] = []
        try Manifest.rebuild(tenantDirectory: store.directory, write: writer.map { writer in { try writer.replaceShard(at: $0, with: $1) } }) { shard in
            let before = (try? Manifest.currentLines(tenantDirectory: store.directory, month: shard.month)) ?? []
            let after = Set(shard.lines)
            shards += 1
            lines += after.count
            if shard.unreadable.isEmpty {
                added += after.subtracting(before).count
                dropped += before.subtracting(after).count
            }
            unreadable += shard.unreadable
        }
        let swept = try writer?.sweepTree() ?? 0
        for error in unreadable { printError("ringlog reindex: \(error)") }
        print("tenant \(store.tenantId): \(lines) manifest lines in \(shards) shards; \(added) added, \(dropped) dropped"
              + (dryRun ? " (dry run: nothing written)" : "; \(swept) stale temporary files removed")
              + (unreadable.isEmpty ? "" : "; \(unreadable.count) sidecars could not be read, their months left as they were"))
        if !unreadable.isEmpty { throw ExitStatus.partial }
    }
}
