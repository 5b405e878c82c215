import ArchiveStore
import Logging
import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// One tenant's sync: call log (backfill through list windows, then FSync/ISync with recovery),
/// voicemail per extension (message-sync), media downloads oldest first, the pending queue.
///
/// Every write goes through ArchiveStore's `TenantWriter`, which owns the durability order
/// (media → sidecar → manifest lines → pending queue → state) and the lease. Errors that are the
/// disk's, the lease's or a control file's (`RunFatalError`) stop the run; everything RingCentral
/// sends wrong fails only its item.
public final class SyncEngine {
    let root: ArchiveRoot
    var tenant: TenantMarker
    let store: TenantStore
    let source: any ArchiveSource
    /// Mailboxes read with their own user's login (the secrets file's `mailboxes`), by extension id.
    let mailboxSources: [String: any ArchiveSource]
    let options: SyncOptions
    let logger: Logger
    var state = SyncState()
    var pendingQueue = PendingQueue()
    var report: SyncReport
    var writer: TenantWriter!
    var extensions: [String: ExtensionInfo] = [:]
    /// The number each extension's folder may use (nil where another extension keeps a shared number).
    var folderNumbers: [String: String?] = [:]
    var reportedErrors = Set<String>()
    var meter = ProgressMeter()
    var consecutiveStalls = 0
    /// Media and insights keys tried in this run and not archived (media) or asked (insights): one attempt per run.
    var attemptedThisRun = Set<String>()
    /// Recording id → the sidecar it is stored with, for recordings this run assigned (see archiveCall): the manifest finds a recording only near its call's start (§7), and one recording can be referenced by records days apart (RingCentral's own samples do).
    var recordingHomes = PackedStringMap()  // one entry per recording of the run: paths packed (see PackedStrings)
    /// Exclusion rules and tombstones, loaded once per run (SyncEngine+Governance.swift).
    var governance: TenantGovernance?
    var governanceSkipped = Set<String>()
    /// Held by whichever part of the run does local work while the rate groups run concurrently
    /// (SyncEngine+Groups.swift); the sources release it only while a request is on the network.
    let engineLock: EngineLock
    /// Raised when one concurrent part failed: the other stops at its next item.
    let groupStop = CancellationFlag()
    /// RingSense insights (SyncEngine+Insights.swift): why none are asked for (any more) in this run.
    var insightsOff: String?
    /// The call-log part has stopped queueing insights requests.
    var insightsQueueClosed = false
    /// Call sidecars the call-log part holds open (across its requests): the insights part writes none of them meanwhile.
    var sidecarsInUse = Set<String>()
    /// Set by the reconcile window: its calls that started from then on have their insights asked for again.
    var insightsRecheckFrom: Timestamp?

    public init(root: ArchiveRoot, tenant: TenantMarker, source: any ArchiveSource, mailboxSources: [String: any ArchiveSource] = [:],
                options: SyncOptions = SyncOptions(), logger: Logger = Logger(label: "ringlog.sync")) {
        self.root = root
        self.tenant = tenant
        self.store = root.store(for: tenant.tenantId)
        let lock = EngineLock()
        engineLock = lock
        self.source = LockReleasingSource(inner: source, lock: lock)
        self.mailboxSources = mailboxSources.mapValues { LockReleasingSource(inner: $0, lock: lock) }
        self.options = options
        self.logger = logger
        report = SyncReport(tenantId: tenant.tenantId, startedAt: Timestamp.now())
    }

    var now: Timestamp { options.clockOffsetSeconds == 0 ? Timestamp.now() : Timestamp.now().adding(seconds: options.clockOffsetSeconds) }
    var since: Timestamp { tenant.since ?? now.adding(seconds: -Double(options.defaultHistoryDays) * 86_400) }
    var manifest: Manifest { writer.manifest }

    /// Runs the sync. Throws only when it cannot start (lease held, archive unusable); everything
    /// after that ends up in the report (and the run log).
    public func run() throws -> SyncReport {
        if options.dryRun { return dryRun() }
        // A control file this ringlog cannot read stops the run before it takes the lease or writes anything.
        _ = try store.loadState()
        _ = try store.loadPending()
        try loadGovernance()  // a damaged exclusions.jsonl or a missing key: nothing is written
        writer = try store.openWriter(leaseSeconds: options.leaseSeconds, cancellation: options.cancellation, runId: report.runId)
        defer { writer.close() }
        writer.runId = report.runId
        // A page of items' folders and manifest lines are fsynced together, before the checkpoint that covers them.
        writer.defersFolderAndManifestSync = true
        report.startedAt = now  // a run's [startedAt, endedAt] lies within its lease: two runs' never overlap
        recordAbandonedRun()
        do {
            // Under the tenant's lease no other writer exists: every other temporary file is a crashed run's.
            try writer.sweepControlFiles()
            state = try store.loadState()
            pendingQueue = try store.loadPending()
            try loadGovernance()  // again under the lease: a rule added meanwhile counts
            try bindAccount()
            try loadExtensions()
            prepareInsights()
            try retryPending()
            // The call log with its recordings (Heavy), the messages (Light, Medium) and the recordings'
            // RingSense insights (Light, queued by the first) drain their budgets at the same time (SyncEngine+Groups.swift).
            try runPartsConcurrently(heavy: {
                defer { closeInsightsQueue() }
                try stoppingOnLongPenalty("call log and recordings") { try syncCallLog() }
            }, others: [{ [self] in
                try syncMessages()
            }, { [self] in
                try syncInsights()
            }])
            try checkpoint()
        } catch {
            // A lost lease is the cause of whatever failed after it (an aborted transfer, a refused write);
            // else a raised stop flag is a signal's doing.
            var cause = error
            if let interruption = signalInterruption() { cause = interruption }
            do { try writer.check() } catch { cause = error }
            fail(cause)
            // Whatever completed before a RingCentral failure is durable; record it. After a disk, lease
            // or control-file failure write nothing more (the state in memory covers only durable items,
            // but the disk or the lease is gone).
            if !(cause is RunFatalError) || cause is RunInterrupted { try? checkpoint() }
        }
        revokeAll()
        finishReport()
        do {
            try writer.appendRunLine(report.runLogLine)
        } catch {
            logger.error("cannot write the run log: \(error)")
            if report.failure == nil { fail(error) }
        }
        return report
    }

    private func fail(_ error: any Error) {
        report.status = .failed
        report.failure = "\(error)"
        if let interrupted = error as? RunInterrupted {
            report.status = .interrupted
            report.interruptedBy = interrupted.signal
            logger.notice("tenant \(tenant.tenantId): \(interrupted)")
            return
        }
        switch error {
        case RingCentralError.authenticationFailed: report.authenticationFailed = true
        case is LeaseError: report.fenced = true
        case is ConfigurationError, is ControlFileError, RingCentralError.notRingCentral: report.configurationFailed = true
        default: break
        }
        logger.info("tenant \(tenant.tenantId): \(error)")  // the CLI prints the failure once
    }

    private func finishReport() {
        report.endedAt = now
        report.pending = pendingQueue.pending.count
        report.quarantined = pendingQueue.quarantined.count
        report.requests = requestStatistics
        let horizon = Double(options.retentionHorizonDays) * 86_400, warning = Double(options.horizonWarningDays) * 86_400
        for item in pendingQueue.pending + pendingQueue.quarantined where item.kind == .recording {
            let left = item.startTime.adding(seconds: horizon).secondsSinceEpoch - now.secondsSinceEpoch
            if left < warning {
                report.warnings.append("recording \(item.mediaId) (\(item.sidecar)) is not archived and RingCentral deletes it in "
                                       + (left > 0 ? "\(Int(min(left, 1e9) / 3600)) h" : "0 h (it may already be gone)"))
            }
        }
        if report.status != .failed && report.status != .interrupted, report.penaltyStopped || report.counts["itemErrors", default: 0] > 0 || report.pending > 0 || report.quarantined > 0 {
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
            if tenant.accountCountry == nil, let country = accountCountry(account) {  // bound before ringlog recorded it
                var marker = try store.marker()
                marker.accountCountry = country
                try writer.saveMarker(marker)
                tenant = marker
            }
        } else {
            // Re-read the marker under the lease: keys another tool added since the run started are kept.
            var marker = try store.marker()
            marker.accountId = account.id
            marker.accountCountry = marker.accountCountry ?? accountCountry(account)
            try writer.saveMarker(marker)
            tenant = marker
            logger.notice("tenant \(tenant.tenantId) bound to RingCentral account \(account.id)")
        }
    }

    private func loadExtensions() throws {
        extensions = [:]
        for ext in try source.extensions(perPage: 1000) { extensions[ext.id] = ext }
        folderNumbers = ArchiveNames.folderNumbers(extensions.values.map { ($0.id, $0.extensionNumber) })
    }

    /// The folder of a new item of `extensionId`: its number, unless another extension with a lower id
    /// has the same number (RingCentral allows it), then `id-<extensionId>` (layout-spec §4.2).
    func extensionFolder(_ extensionId: String?) throws(ArchiveNames.InvalidIdentifier) -> String {
        try ArchiveNames.extensionFolder(extensionId: extensionId, extensionNumber: extensionId.flatMap { folderNumbers[$0] ?? nil })
    }

    // MARK: Checkpoints

    /// Pending queue, then state: only after the items they cover are durable.
    func checkpoint() throws {
        try writer.checkpoint(state: state, pending: pendingQueue)
    }

    /// After each page of a listing: its items durable with their manifest lines (memory holds one page's
    /// at most), and the pages its parse freed handed back to the system.
    func finishPage() throws {
        try writer.flush()
        Memory.returnFreePages()
    }

    func itemError(_ message: String, ids: JSONObject) {
        // The same item can arrive twice in one run (FSync and the list overlap): report it once.
        guard reportedErrors.insert(message).inserted else { return }
        report.count("itemErrors")
        report.errors.append(message)
        logger.info("\(message)")  // in the summary and errors.jsonl; stderr only with --verbose
        do {
            try writer.appendError(ErrorLogLine(runId: report.runId, item: ids, error: message))
        } catch {
            logger.error("cannot write the error log: \(error)")
        }
    }

    /// Per-item failures are recorded and the run goes on; a `RunFatalError` is rethrown, and a
    /// raised stop flag (a signal) ends the run before the next item.
    func perItem(_ describe: () -> (String, JSONObject), _ body: () throws -> Void) throws {
        if let interruption = interruption() { throw interruption }
        do {
            try body()
        } catch let error as RunFatalError {
            throw error
        } catch {
            let (prefix, ids) = describe()
            itemError("\(prefix): \(error)", ids: ids)
        }
    }

    /// Records RingCentral sent that did not decode: each fails alone, kept verbatim under `_unfiled/`.
    func archiveRejected(_ rejected: [RejectedRecord], kind: String) throws {
        for record in rejected {
            // `--since` holds for what could not be decoded too, whenever its start is readable.
            let start = (record.raw["startTime"] ?? record.raw["creationTime"])?.stringValue.flatMap { Timestamp(iso8601: $0) }
            if let since = tenant.since, let start, start < since { continue }
            guard admitsRejected(record.raw) else { continue }
            let label = record.id.map { "\(kind) \(String($0.prefix(80)).debugDescription)" } ?? "a \(kind) record without an id"
            let kept = try writer.saveUnfiled(kind: kind, record: record.raw, reason: record.reason)
            var ids = JSONObject()
            if let id = record.id { ids[kind == "call" ? "callId" : "messageId"] = .string(String(id.prefix(80))) }
            ids["unfiled"] = .string(kept)
            itemError("\(label): \(record.reason); kept verbatim in \(kept)", ids: ids)
        }
    }

    /// RingCentral asked for a wait longer than a run sits out: that part's work stops for this run
    /// (its checkpoints stand; the next scheduled run resumes), and the run goes on with the others.
    func stoppingOnLongPenalty(_ part: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch RingCentralError.penaltyTooLong(let group, let seconds, let endpoint) {
            let minutes = Int(min(seconds, 1e9) / 60)
            report.warnings.append("\(part) stopped for this run: RingCentral asked for a \(minutes)-minute pause of \(group.rawValue) "
                                   + "requests (at \(endpoint)); the next run resumes from the checkpoint")
            report.penaltyStopped = true
            try checkpoint()
        }
    }

    /// A run refused before it could start (its credentials) still leaves its line in runs.jsonl, so a
    /// cron setup failing every night shows in the archive. Written under the lease; skipped (the run
    /// holding it logs its own) when another run holds it.
    public static func recordRefusal(root: ArchiveRoot, tenant: TenantMarker, reason: String, leaseSeconds: Double = 600) {
        let store = root.store(for: tenant.tenantId)
        let now = Timestamp.now()
        let report = SyncReport(tenantId: tenant.tenantId, startedAt: now)
        guard let writer = try? store.openWriter(leaseSeconds: leaseSeconds, runId: report.runId) else { return }
        defer { writer.close() }
        var line = RunLogLine(runId: report.runId, tenantId: tenant.tenantId, status: .failed, startedAt: now)
        line.endedAt = Timestamp.now()
        line.failure = "refused before starting: " + reason
        try? writer.appendRunLine(line)
    }

    /// The stop flag raised by a signal (not by a lost lease), as the error that ends the run; or the
    /// other concurrent part's failure, which stops this one too (its own error is the run's cause).
    func interruption() -> RunInterrupted? {
        if let interrupted = signalInterruption() { return interrupted }
        guard groupStop.isCancelled else { return nil }
        return RunInterrupted(reason: groupStop.reason ?? "the other part of the run stopped", signal: nil)
    }

    /// The stop flag raised by a signal (not by a lost lease), as the error that ends the run.
    func signalInterruption() -> RunInterrupted? {
        guard let flag = options.cancellation, flag.isCancelled, !writer.lease.isFenced else { return nil }
        return RunInterrupted(reason: flag.reason ?? "interrupted", signal: options.interruptingSignal?() )
    }

    /// The run before this one never released its lease: it ended abnormally (SIGKILL, a crash, a
    /// stopped machine). Its line in runs.jsonl says so, so a cron setup that dies every night shows.
    private func recordAbandonedRun() {
        guard let abandoned = writer.lease.abandoned else { return }
        let what = "the run holding the lease (\(abandoned.holder), last renewed \(abandoned.renewedAt?.iso8601 ?? "never")) ended "
            + "abnormally: it never released its lease (killed with SIGKILL, crashed, its machine stopped, or it was frozen past its lease)"
        report.warnings.append(what)
        guard let runId = abandoned.runId else { return }
        var line = RunLogLine(runId: runId, tenantId: tenant.tenantId, status: .failed, startedAt: abandoned.acquiredAt ?? report.startedAt)
        line.endedAt = abandoned.renewedAt
        line.failure = what + "; recorded by run \(report.runId)"
        do { try writer.appendRunLine(line) } catch { logger.error("cannot write the run log: \(error)") }
    }

    /// Starts a phase of the progress line (a list page, a sync response, the pending retries).
    func beginPhase(_ name: String, total: Int?) {
        meter.begin(name, total: total)
        options.progress?("[\(tenant.tenantId)] \(meter.line())")
    }

    /// Counts an item (and its bytes) towards the phase.
    func advance(items: Int = 1, bytes: Int64 = 0) {
        if let line = meter.advance(items: items, bytes: bytes) { options.progress?("[\(tenant.tenantId)] \(line)") }
    }

    // MARK: Dry run

    private func dryRun() -> SyncReport {
        report.status = .dryRun
        do {
            guard store.exists else { throw ConfigurationError("tenant directory \(store.directory) is missing") }
            let stored = try store.loadState()
            let queue = try store.loadPending()
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
                report.plan.append("call log: full sync (FSync, 250 newest), then list backfill from \(since.iso8601) in windows of \(options.windowDays) days, widened while empty")
            } else {
                if let range = stream.backfill {
                    report.plan.append("call log: continue backfill \(range.cursor.iso8601) → \(range.to.iso8601)")
                }
                report.plan.append("call log: incremental sync (ISync) from \(stream.syncTime?.iso8601 ?? "?"), then re-list the last "
                                   + "\(options.reconcileHours) h" + (options.deepReconcileDays > 0 ? " (\(options.deepReconcileDays) days once a day)" : ""))
            }
            let kinds = tenant.messageKinds
            if kinds.kinds.isEmpty {
                report.plan.append("messages: none (--messages none: calls only)")
            } else {
                let mailboxes = exts.filter(isMailbox)
                let fresh = mailboxes.filter { stored.voicemail[$0.id]?.syncToken == nil }.count
                let changed = mailboxes.filter { ext in
                    stored.voicemail[ext.id].flatMap(Self.coveredTypes).map { Set($0) != Set(kinds.apiTypes) } ?? false
                }.count
                report.plan.append("messages (\(kinds.description)): \(mailboxes.count) mailboxes (\(fresh) first-time full sync, "
                                   + "\(changed) with changed kinds: new token and the added kinds listed from \(since.iso8601), "
                                   + "\(mailboxes.count - fresh - changed) incremental)")
            }
            let due = queue.pending.filter { options.retryPendingNow || $0.nextAttemptAt <= now }
            report.plan.append("pending media: \(queue.pending.count) (\(due.count) due now), quarantined: \(queue.quarantined.count)")
            for item in due.prefix(20) { report.plan.append("  retry \(item.kind.rawValue) \(item.mediaId) for \(item.sidecar)") }
            let setting = tenant.insights ?? .auto
            report.plan.append(setting == .off ? "RingSense insights: off (never asked)"
                               : "RingSense insights: \(setting.rawValue); \(queue.insights.count) recording(s) queued "
                               + "(\(queue.insights.filter { options.retryPendingNow || $0.nextAttemptAt <= now }.count) due now), "
                               + "and each recording archived is asked")
            report.plan.append("nothing written: no lock, no state, no log")
        } catch {
            fail(error)
        }
        revokeAll()
        report.endedAt = now
        report.requests = requestStatistics
        return report
    }

    /// The login that reads `extensionId`'s mailbox: its own when the secrets file gives one, else the tenant's.
    func source(forMailbox extensionId: String?) -> any ArchiveSource {
        extensionId.flatMap { mailboxSources[$0] } ?? source
    }

    private func revokeAll() {
        source.revoke()
        for id in mailboxSources.keys.sorted() { mailboxSources[id]?.revoke() }
    }

    /// Requests per group over every login of the run (each mailbox login has its own budget).
    private var requestStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] {
        var total = source.rateLimitStatistics
        for mailbox in mailboxSources.values {
            for (group, statistics) in mailbox.rateLimitStatistics {
                var sum = total[group] ?? RateGovernor.GroupStatistics()
                sum.requests += statistics.requests
                sum.throttled += statistics.throttled
                sum.secondsWaited += statistics.secondsWaited
                total[group] = sum
            }
        }
        return total
    }

    /// The extensions whose message store is read: enabled extensions of the types that have one,
    /// and `FaxUser` (a fax-only user, one of the spec's user extension types) when faxes are archived.
    func isMailbox(_ ext: ExtensionInfo) -> Bool {
        var types: Set<String> = ["User", "Department", "Limited", "DigitalUser", "VirtualUser", "Voicemail"]
        if tenant.messageKinds.contains(.fax) { types.insert("FaxUser") }
        return (ext.status == nil || ext.status == "Enabled") && ext.type.map(types.contains) ?? true
    }
}
