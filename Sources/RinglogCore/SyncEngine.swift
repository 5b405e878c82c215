import Logging
import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// One tenant's sync: call log (backfill through list windows, then FSync/ISync with recovery),
/// voicemail per extension (message-sync), media downloads oldest first, the pending queue.
///
/// Order of durability, for every item: media file (temp, fsync, rename) → sidecar (same) → manifest
/// lines (append, fsync) → pending queue → state. A crash anywhere leaves either the old or the new
/// version of each file, and state that points no further than what is on disk; the next run redoes
/// the rest idempotently (ids decide, never positions).
public final class SyncEngine {
    public static let controlDirectoryName = ".ringlog"
    public static let logDirectoryName = "logs"

    let root: ArchiveRoot
    var tenant: TenantMarker
    let source: any ArchiveSource
    let options: SyncOptions
    let logger: Logger
    let tenantDirectory: String
    let controlDirectory: String
    var state = SyncState()
    var savedState = SyncState()
    var pendingQueue = PendingQueue()
    var savedPendingQueue = PendingQueue()
    var report: SyncReport
    let manifest: Manifest
    var extensions: [String: ExtensionInfo] = [:]
    var lease: LeaseLock?
    var lastLeaseRenewal = 0.0
    var sweptDirectories = Set<String>()
    var reportedErrors = Set<String>()
    var attemptedThisRun = Set<String>()

    public init(root: ArchiveRoot, tenant: TenantMarker, source: any ArchiveSource, options: SyncOptions = SyncOptions(),
                logger: Logger = Logger(label: "ringlog.sync")) {
        self.root = root
        self.tenant = tenant
        self.source = source
        self.options = options
        self.logger = logger
        tenantDirectory = root.tenantDirectory(tenant.tenantId)
        controlDirectory = DurableFiles.join(tenantDirectory, Self.controlDirectoryName)
        manifest = Manifest(tenantDirectory: tenantDirectory)
        report = SyncReport(tenantId: tenant.tenantId, startedAt: Timestamp.now())
    }

    var now: Timestamp { Timestamp.now() }
    var since: Timestamp { tenant.since ?? now.adding(seconds: -Double(options.defaultHistoryDays) * 86_400) }

    /// Runs the sync. Throws only when it cannot start (lock held, archive unusable); everything
    /// after that ends up in the report (and the run log).
    public func run() throws -> SyncReport {
        guard DurableFiles.isDirectory(tenantDirectory) else {
            throw ConfigurationError("tenant directory \(tenantDirectory) is missing")
        }
        if options.dryRun { return dryRun() }
        try DurableFiles.createDirectories(controlDirectory)
        lease = try LeaseLock.acquire(path: DurableFiles.join(controlDirectory, "lock"), leaseSeconds: options.leaseSeconds)
        lastLeaseRenewal = monotonicSeconds()
        defer { lease?.release() }
        // Under the tenant's lock no other writer exists: every temporary file is a crashed run's.
        DurableFiles.sweepTemporaryFiles(in: controlDirectory, minimumAgeSeconds: 0)
        DurableFiles.sweepTemporaryFiles(in: tenantDirectory, minimumAgeSeconds: 0)
        do {
            state = try SyncState.load(DurableFiles.join(controlDirectory, SyncState.fileName))
            savedState = state
            pendingQueue = try PendingQueue.load(DurableFiles.join(controlDirectory, PendingQueue.fileName))
            savedPendingQueue = pendingQueue
            try bindAccount()
            try loadExtensions()
            try retryPending()
            try syncCallLog()
            try syncVoicemail()
            try checkpoint()
        } catch {
            report.status = .failed
            report.failure = "\(error)"
            if case RingCentralError.authenticationFailed = error { report.authenticationFailed = true }
            report.configurationFailed = error is ConfigurationError
            logger.error("tenant \(tenant.tenantId): \(error)")
            try? checkpoint()  // whatever completed before the failure is durable; record it
        }
        source.revoke()
        finishReport()
        try? DurableFiles.createDirectories(DurableFiles.join(tenantDirectory, Self.logDirectoryName))
        try DurableFiles.appendLine(DurableFiles.join(tenantDirectory, Self.logDirectoryName, "runs.jsonl"), report.json.serialized())
        return report
    }

    private func finishReport() {
        report.endedAt = now
        report.pending = pendingQueue.pending.count
        report.quarantined = pendingQueue.quarantined.count
        report.requests = source.rateLimitStatistics
        let horizon = Double(options.retentionHorizonDays) * 86_400, warning = Double(options.horizonWarningDays) * 86_400
        for item in pendingQueue.pending + pendingQueue.quarantined where item.kind == .recording {
            let left = item.startTime.adding(seconds: horizon).secondsSinceEpoch - now.secondsSinceEpoch
            if left < warning {
                report.warnings.append("recording \(item.mediaId) (\(item.sidecar)) is not archived and RingCentral deletes it in "
                                       + (left > 0 ? "\(Int(left / 3600)) h" : "0 h (it may already be gone)"))
            }
        }
        if report.status != .failed, report.counts["itemErrors", default: 0] > 0 || report.pending > 0 || report.quarantined > 0 {
            report.status = .partial
        }
    }

    // MARK: Account and extensions

    private func bindAccount() throws {
        let account = try source.accountInfo()
        if let bound = tenant.accountId {
            guard bound == account.id else {
                throw ConfigurationError("tenant \(tenant.tenantId) is bound to RingCentral account \(bound), but these credentials "
                                         + "belong to account \(account.id); refusing to mix two accounts in one tree")
            }
        } else {
            tenant.accountId = account.id
            try tenant.write(to: tenantDirectory)
            logger.notice("tenant \(tenant.tenantId) bound to RingCentral account \(account.id)")
        }
    }

    private func loadExtensions() throws {
        extensions = [:]
        for ext in try source.extensions(perPage: 1000) { extensions[ext.id] = ext }
    }

    func extensionFolder(_ extensionId: String?) throws(ArchiveNames.InvalidIdentifier) -> String {
        try ArchiveNames.extensionFolder(extensionId: extensionId, extensionNumber: extensionId.flatMap { extensions[$0]?.extensionNumber })
    }

    // MARK: Checkpoints

    func checkpoint() throws {
        renewLeaseIfDue()
        if pendingQueue != savedPendingQueue {
            try pendingQueue.save(DurableFiles.join(controlDirectory, PendingQueue.fileName))
            savedPendingQueue = pendingQueue
        }
        if state != savedState {
            try state.save(DurableFiles.join(controlDirectory, SyncState.fileName))
            savedState = state
        }
    }

    func renewLeaseIfDue() {
        guard let lease, monotonicSeconds() - lastLeaseRenewal > options.leaseSeconds / 3 else { return }
        do {
            try lease.renew()
            lastLeaseRenewal = monotonicSeconds()
        } catch {
            logger.warning("could not renew \(lease.path): \(error)")
        }
    }

    func itemError(_ message: String, ids: JSONObject) {
        // The same item can arrive twice in one run (FSync and the list overlap): report it once.
        guard reportedErrors.insert(message).inserted else { return }
        report.count("itemErrors")
        report.errors.append(message)
        logger.warning("\(message)")
        var line = JSONObject()
        line["runId"] = .string(report.runId)
        line["at"] = .string(now.iso8601)
        line["item"] = .object(ids)
        line["error"] = .string(message)
        let directory = DurableFiles.join(tenantDirectory, Self.logDirectoryName)
        do {
            try DurableFiles.createDirectories(directory)
            try DurableFiles.appendLine(DurableFiles.join(directory, "errors.jsonl"), JSON.object(line).serialized())
        } catch {
            logger.error("cannot write the error log: \(error)")
        }
    }

    func progress(_ text: String) { options.progress?("[\(tenant.tenantId)] \(text)") }

    // MARK: Dry run

    private func dryRun() -> SyncReport {
        report.status = .dryRun
        do {
            let stored = try SyncState.load(DurableFiles.join(controlDirectory, SyncState.fileName))
            let queue = try PendingQueue.load(DurableFiles.join(controlDirectory, PendingQueue.fileName))
            let account = try source.accountInfo()
            if let bound = tenant.accountId, bound != account.id {
                report.plan.append("REFUSE: tenant is bound to account \(bound), credentials are for \(account.id)")
            } else {
                report.plan.append(tenant.accountId == nil ? "bind tenant to account \(account.id)" : "account \(account.id) (bound)")
            }
            let exts = try source.extensions(perPage: 1000)
            report.plan.append("extensions: \(exts.count)")
            let stream = stored.callLog
            if stream.syncToken == nil {
                report.plan.append("call log: full sync (FSync, 250 newest), then list backfill from \(since.iso8601) in \(options.windowDays)-day windows")
            } else {
                if let range = stream.backfill {
                    report.plan.append("call log: continue backfill \(range.cursor.iso8601) → \(range.to.iso8601)")
                }
                report.plan.append("call log: incremental sync (ISync) from \(stream.syncTime?.iso8601 ?? "?")")
            }
            let mailboxes = exts.filter(isMailbox)
            let fresh = mailboxes.filter { stored.voicemail[$0.id]?.syncToken == nil }.count
            report.plan.append("voicemail: \(mailboxes.count) mailboxes (\(fresh) first-time full sync, \(mailboxes.count - fresh) incremental)")
            let due = queue.pending.filter { options.retryPendingNow || $0.nextAttemptAt <= now }
            report.plan.append("pending media: \(queue.pending.count) (\(due.count) due now), quarantined: \(queue.quarantined.count)")
            for item in due.prefix(20) { report.plan.append("  retry \(item.kind.rawValue) \(item.mediaId) for \(item.sidecar)") }
            report.plan.append("nothing written: no lock, no state, no log")
        } catch {
            report.status = .failed
            report.failure = "\(error)"
            if case RingCentralError.authenticationFailed = error { report.authenticationFailed = true }
        }
        source.revoke()
        report.endedAt = now
        report.requests = source.rateLimitStatistics
        return report
    }

    func isMailbox(_ ext: ExtensionInfo) -> Bool {
        let types: Set<String> = ["User", "Department", "Limited", "DigitalUser", "VirtualUser", "Voicemail"]
        return (ext.status == nil || ext.status == "Enabled") && ext.type.map(types.contains) ?? true
    }
}
