import ArchiveStore
import RingCentral
import RinglogSupport

public struct SyncOptions: Sendable {
    public var dryRun = false
    /// Attempt every pending item now, whatever its backoff says.
    public var retryPendingNow = false
    /// Added to the local clock for the engine's schedules and bounds (pending retries, the insights'
    /// 7 days after the call). 0 but in tests, whose simulator keeps a clock of its own
    /// (`RINGLOG_TEST_CLOCK_OFFSET_SECONDS`): there the call ages the bounds measure are the simulator's.
    public var clockOffsetSeconds = 0.0
    /// Days per call-log list window during backfill (each window is one checkpoint).
    public var windowDays = 30
    /// How far before the high-water mark a recovery re-lists after a rejected sync token.
    public var overlapSeconds = 86_400.0
    /// Backfill start when the tenant has no `since`: older than anything RingCentral keeps (12 months).
    public var defaultHistoryDays = 400
    /// Every run re-lists from this many hours before the previous sync's time through the list API (0: never), so
    /// recordings attached and results finalised late are archived whether or not ISync re-sends the
    /// record (RingCentral documents ISync as returning "new records"; its own Archiver waits 2 hours).
    public var reconcileHours = 4.0
    /// Once per `deepReconcileIntervalHours`, the re-list reaches this many days back (0: never).
    public var deepReconcileDays = 7.0
    public var deepReconcileIntervalHours = 24.0
    public var pendingMaximumAttempts = 8
    public var pendingBaseDelaySeconds = 300.0
    public var pendingMaximumDelaySeconds = 86_400.0
    /// RingCentral deletes recordings after 90 days; items closer than `horizonWarningDays` are flagged.
    public var retentionHorizonDays = 90
    public var horizonWarningDays = 7
    /// Lease length (RINGLOG_LEASE_SECONDS); renewed every third of it on its own timer.
    public var leaseSeconds = 600.0
    /// Raised when the lease is lost: the HTTP client given the same flag aborts its transfers.
    public var cancellation: CancellationFlag?
    /// Which signal raised `cancellation`, if one did (the CLI's handler records it).
    public var interruptingSignal: (@Sendable () -> Int32?)?
    /// Where the tenant's exclusion key is (`<dir>/<tenantId>.exclusion-key`); nil: no key (number rules then stop the run).
    public var secretsDirectory: String?
    /// Called with a one-line status as work progresses (the CLI draws it on a TTY only).
    public var progress: (@Sendable (String) -> Void)?

    public init() {}
}

/// What one tenant's run did; also the run-log line.
public struct SyncReport: Sendable {
    public enum Status: String, Sendable {
        case success
        /// Finished, but some items are pending, quarantined or failed.
        case partial
        case failed
        /// Stopped by SIGINT/SIGTERM: durable work checkpointed, lease released.
        case interrupted
        case dryRun = "dry-run"
    }

    public let runId: String
    public let tenantId: String
    public var status: Status = .success
    public var startedAt: Timestamp
    public var endedAt: Timestamp?
    public var windowFrom: Timestamp?
    public var windowTo: Timestamp?
    public var counts: [String: Int] = [:]
    public var bytes: Int64 = 0
    public var errors: [String] = []
    public var warnings: [String] = []
    public var plan: [String] = []
    public var pending = 0
    public var quarantined = 0
    public var requests: [RateLimitGroup: RateGovernor.GroupStatistics] = [:]
    public var failure: String?
    public var authenticationFailed = false
    /// The run stopped on a configuration problem (e.g. credentials of another account).
    public var configurationFailed = false
    /// The run lost its lease (or could not take it) and stopped writing: exit 5.
    public var fenced = false
    /// A rate group's work stopped for this run on a too-long penalty (the run is partial).
    public var penaltyStopped = false
    /// The signal that interrupted the run (SIGINT 2, SIGTERM 15).
    public var interruptedBy: Int32?

    /// The report of a tenant whose run could not start (its secrets, a held lease): a failed run
    /// naming why, so a summary of several tenants covers every one (`sync --all --json`).
    public static func refused(tenantId: String, failure: String) -> SyncReport {
        let now = Timestamp.now()
        var report = SyncReport(tenantId: tenantId, startedAt: now)
        report.status = .failed
        report.failure = failure
        report.endedAt = now
        return report
    }

    init(tenantId: String, startedAt: Timestamp) {
        self.tenantId = tenantId
        self.startedAt = startedAt
        self.runId = startedAt.iso8601Seconds.filter { $0 != ":" && $0 != "-" } + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    mutating func count(_ key: String, _ amount: Int = 1) { counts[key, default: 0] += amount }

    mutating func widen(_ from: Timestamp, _ to: Timestamp) {
        windowFrom = windowFrom.map { min($0, from) } ?? from
        windowTo = windowTo.map { max($0, to) } ?? to
    }

    /// The run-log line (ArchiveStore's codec); the plan of a dry run is added for the CLI's JSON output.
    public var runLogLine: RunLogLine {
        let logged: RunLogLine.Status = switch status {
        case .success, .dryRun: .success
        case .partial: .partial
        case .failed: .failed
        case .interrupted: .interrupted
        }
        var line = RunLogLine(runId: runId, tenantId: tenantId, status: logged, startedAt: startedAt)
        line.endedAt = endedAt
        line.windowFrom = windowFrom
        line.windowTo = windowTo
        line.counts = counts
        line.bytes = bytes
        line.pending = pending
        line.quarantined = quarantined
        for group in RateLimitGroup.allCases {
            let statistics = requests[group] ?? RateGovernor.GroupStatistics()
            line.requests[group.rawValue] = (statistics.requests, statistics.throttled)
        }
        line.errors = errors
        line.warnings = warnings
        line.failure = failure
        return line
    }

    public var json: JSON {
        guard var object = runLogLine.json.objectValue else { return .null }
        if status == .dryRun { object["status"] = .string(status.rawValue) }
        if !plan.isEmpty { object["plan"] = .array(plan.map { .string($0) }) }
        return .object(object)
    }
}

/// SIGINT or SIGTERM stopped the run: not a failure of RingCentral or of the disk. The engine
/// checkpoints what is durable, writes its run line (status `interrupted`) and releases the lease.
public struct RunInterrupted: RunFatalError, Sendable {
    public let reason: String
    public let signal: Int32?
    public var description: String { "\(reason); durable work checkpointed, lease released" }
}
