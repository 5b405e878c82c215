import RinglogSupport

/// What a sync must not write, loaded once per run before anything is written: the tenant's active
/// exclusion rules (with the key that makes number rules comparable) and its tombstones (items a
/// retention or exclusion pass removed). "Nothing comes back": a purged or excluded item is not
/// written again, also after the state file is lost and a full resync lists everything.
public final class TenantGovernance {
    public let matcher: ExclusionMatcher
    private let tenantDirectory: String
    /// Per month, `kind:id` of every item whose latest tombstone line is a removal.
    private var removed: [String: Set<String>] = [:]
    /// Per month, the path of every file whose latest tombstone line is a removal that the trash cannot undo.
    private var removedPaths: [String: Set<String>] = [:]

    public init(matcher: ExclusionMatcher, tenantDirectory: String) {
        self.matcher = matcher
        self.tenantDirectory = tenantDirectory
    }

    /// Reads the rules (a damaged `exclusions.jsonl` stops the run before it writes, exit 2) and
    /// checks that number rules have their key.
    public static func load(store: TenantStore, marker: TenantMarker, key: [UInt8]?, keyPath: String) throws -> TenantGovernance {
        let rules = try store.loadExclusions()
        let matcher = try ExclusionMatcher(rules: rules, key: key, keyPath: keyPath, country: marker.numberingCountry)
        return TenantGovernance(matcher: matcher, tenantDirectory: store.directory)
    }

    /// The rule that excludes `record` (a call-log record or a message), if any.
    public func exclusion(of record: JSON, extensionFolder: String?) -> String? {
        matcher.match(record, extensionFolder: extensionFolder)
    }

    /// Whether a pass removed the item `kind` `id` that started at `start` (tombstones are sharded
    /// by the month of the item's start, so one shard answers).
    public func isRemoved(kind: ManifestLine.Kind, id: String, start: Timestamp) throws -> Bool {
        try load(ArchiveNames.monthShard(start)).ids.contains("\(kind.rawValue):\(id)")
    }

    /// Whether a pass removed the file at `path` (relative to the tenant directory), an item of the month
    /// of `start`, for good: by exclusion (never through the trash), or by a purge whose trash no longer
    /// holds it (`trash restore` can bring back what it still holds). A pending download for a sidecar
    /// removed this way has no sidecar to come back to.
    public func isRemoved(path: String, start: Timestamp) throws -> Bool {
        try load(ArchiveNames.monthShard(start)).paths.contains(path)
    }

    private func load(_ month: String) throws -> (ids: Set<String>, paths: Set<String>) {
        if let ids = removed[month], let paths = removedPaths[month] { return (ids, paths) }
        var ids = Set<String>()
        var paths = Set<String>()
        for tombstone in try Tombstone.state(tenantDirectory: tenantDirectory, month: month).values where tombstone.isRemoval {
            if let itemId = tombstone.itemId { ids.insert("\(tombstone.kind.rawValue):\(itemId)") }
            let restorable = tombstone.reason == .retention && tombstone.runId.map { run in
                DurableFiles.exists(DurableFiles.join(tenantDirectory, TrashRun.directoryName, run, tombstone.path))
            } ?? false
            if !restorable { paths.insert(tombstone.path) }
        }
        removed[month] = ids
        removedPaths[month] = paths
        return (ids, paths)
    }
}
