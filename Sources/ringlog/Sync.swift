import ArgumentParser
import Dispatch
import Synchronization
import CurlHTTP
import Logging
import RingCentral
import ArchiveStore
import ArchiveSync
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mirror new and changed calls, recordings and messages (voicemail, fax, SMS/MMS, pager) into the archive.",
        discussion: """
            First run per tenant: a full call-log sync plus a backfill from the tenant's
            --since (or everything RingCentral still holds), resumable from its
            checkpoint. Later runs are incremental. Recordings RingCentral has not
            finished processing wait in a pending queue (see `ringlog pending`). A run
            with nothing new rewrites nothing but appends its line to logs/runs.jsonl.

            Every incremental run also re-lists, through the call-log list API, from
            --reconcile-hours before the previous run's sync up to now, and once a day
            the last --deep-reconcile-days: RingCentral documents its incremental sync
            as returning new records, so a recording
            attached or a result finalised later is picked up here whatever it does (one
            Heavy request per 1000 calls in the window; unchanged calls write nothing).

            Messages: the tenant's kinds (`ringlog tenant set --messages`; default voicemail,
            fax, sms, pager) of every mailbox, each message a sidecar with its attachments
            beside it. A message RingCentral deletes or purges stays in the archive; its
            sidecar says RingCentral no longer has it. An attachment not archived is an
            error naming the message and the attachment, and is retried like a recording.

            Messages of a mailbox the JWT user may not read (403 CMN-404) are skipped
            with one warning; give such a mailbox its own login in the tenant's secrets
            file: "mailboxes": {"<extensionId>": {"jwt": "..."}} (same app).

            --all syncs up to --parallel tenants at once (default 4): each has its own
            logins and its own lease. RingCentral's rate limits count per user and app,
            so tenants that log in as the same user through the same app share one
            budget and are paced together (no 429s from running them at once). One
            tenant's failure (refused credentials, a held lease, an unreachable host)
            stops no other; each tenant's summary is printed whole when it ends. The exit
            status is the most serious of all tenants' outcomes: 1 failure, then 3
            authentication, 2 configuration, 5 lease held, 4 partial, else 0; 130/143
            when SIGINT/SIGTERM stopped the run (every running tenant checkpoints).

            Examples:
              ringlog sync --root /srv/archive --all
              ringlog sync --root /srv/archive --tenant 3f9c2a71d04e8b16 --dry-run
            """)

    @OptionGroup var root: RootOption
    @Option(help: "Sync this tenant only.") var tenant: String?
    @Flag(help: "Sync every active tenant (several at once: see --parallel).") var all = false
    @Option(help: ArgumentHelp("Tenants synced at the same time with --all (1: one after another).",
                               discussion: "Tenants logging in as one RingCentral user through one app share that budget.", valueName: "n"))
    var parallel = 4
    @Flag(help: "Print the plan; write nothing (no lock, no state, no log).") var dryRun = false
    @Flag(help: "Retry every pending and quarantined item now, ignoring backoff.") var retryPending = false
    @Option(help: "Directory of per-tenant secrets files (default: $RINGLOG_SECRETS_DIR or ~/.config/ringlog/secrets).")
    var secretsDir: String?
    @Flag(help: "Print a JSON summary on stdout: one report per tenant, a tenant refused before its run (its secrets, a held lease) as a failed one naming why.") var json = false
    @Flag(help: "Show progress on stderr even when it is not a terminal (it is shown on a terminal anyway).")
    var progress = false
    @Flag(help: "Log each request and decision to stderr (never a secret).") var verbose = false
    @Option(help: "Every run re-lists from this many hours before the previous run's sync (0: never).") var reconcileHours = 4.0
    @Option(help: "Days re-listed once a day (0: never).") var deepReconcileDays = 7.0

    func validate() throws {
        if tenant != nil && all { throw ValidationError("use --tenant ID or --all, not both") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 64, got \(parallel)") }
        guard reconcileHours.isFinite, (0...(24 * 400)).contains(reconcileHours) else {
            throw ValidationError("--reconcile-hours must be between 0 and 9600, got \(reconcileHours)")
        }
        guard deepReconcileDays.isFinite, (0...400).contains(deepReconcileDays) else {
            throw ValidationError("--deep-reconcile-days must be between 0 and 400, got \(deepReconcileDays)")
        }
    }

    func run() throws {
        Memory.limitArenas(to: all ? parallel : 1)  // before any thread allocates: one arena per tenant run at once
        ProcessLimits.raiseOpenFileLimit()  // tenants at once, each fsyncing up to 16 files together
        bootstrapLogging(verbose: verbose)
        let variables = environment()
        var exitCodes: [Int32] = []
        var selected = 0
        let (archive, tenants) = try withConfigurationErrors("sync") { () throws -> (ArchiveRoot, [TenantMarker]) in
            let archive = try ArchiveRoot.open(root.path)
            var tenants: [TenantMarker] = []
            let markers = try archive.tenantMarkers(selecting: tenant)
            selected = markers.count
            for (id, result) in markers {
                switch result {
                case .success(let marker): tenants.append(marker)
                case .failure(let error):  // that tenant only; the others still run
                    printError("ringlog sync: tenant \(id): \(error)")
                    exitCodes.append(exitStatus(for: error).rawValue)
                }
            }
            guard !tenants.isEmpty || !exitCodes.isEmpty else {
                throw ConfigurationError("no tenants in \(archive.path); add one with `ringlog tenant add`")
            }
            guard all || tenant != nil || selected == 1 else {
                throw ConfigurationError("\(selected) tenants in \(archive.path): choose one with --tenant ID, or --all")
            }
            return (archive, tenants)
        }
        var options = SyncOptions()
        options.leaseSeconds = try withConfigurationErrors("sync") { try leaseSeconds(variables) }
        options.dryRun = dryRun
        options.retryPendingNow = retryPending
        // A test seam (never documented for users): the simulator's clock is not the machine's.
        options.clockOffsetSeconds = variables["RINGLOG_TEST_CLOCK_OFFSET_SECONDS"].flatMap(Double.init) ?? 0
        options.reconcileHours = reconcileHours
        options.deepReconcileDays = deepReconcileDays
        options.secretsDirectory = secretsDir ?? TenantSecrets.defaultDirectory(environment: variables)
        let console = Console(drawsInPlace: !progress)
        if progress || (standardErrorIsTerminal && !verbose && !json) {
            // On a terminal one line redrawn in place; with --progress one line each, so a log or pipe keeps them readable.
            options.progress = { line in console.progress(line) }
        }
        let stallSeconds = try withConfigurationErrors("sync") { try stallLimitSeconds(variables) }
        let stop = SignalStop()
        let handlers = stop.install()
        defer { withExtendedLifetime(handlers) {} }
        let outcomes = Outcomes()
        let inputs = TenantRunInputs(archive: archive, options: options, variables: variables, secretsDirectory: secretsDir,
                                     environmentAllowed: selected == 1, stallSeconds: stallSeconds, dryRun: dryRun, json: json,
                                     budgets: RateBudgets())
        // Tenants run concurrently, each with its own logins, lease and stop flag; whatever one tenant meets
        // (a held lease, bad secrets, an unreachable host) is its alone. Logins of one RingCentral user and
        // app share that budget's governor (RateBudgets), whichever tenants they belong to.
        runConcurrently(tenants.count, width: parallel) { index in
            guard let outcome = Self.syncTenant(tenants[index], inputs, stop: stop, console: console) else { return }
            outcomes.record(outcome, at: index)
        }
        console.clearProgress()
        let finished = outcomes.inOrder
        exitCodes += finished.map(\.exitCode)
        if json { print(JSON.array(finished.compactMap(\.report)).serialized(.pretty)) }
        if let signal = stop.signal { throw ExitCode(128 + signal) }  // 130 SIGINT, 143 SIGTERM
        // The most serious outcome decides: failure, auth, configuration, lock, partial, success.
        for code in Self.severity where exitCodes.contains(code.rawValue) {
            throw code
        }
    }

    /// Exit statuses from the most serious down: with several tenants the most serious of their outcomes is the run's.
    static let severity = [ExitStatus.failure, ExitStatus.authentication, ExitStatus.configuration, ExitStatus.lockHeld, ExitStatus.partial]

    /// What every tenant's run shares (all values: each run builds its own clients and engine on its own thread).
    private struct TenantRunInputs: Sendable {
        let archive: ArchiveRoot
        let options: SyncOptions
        let variables: [String: String]
        let secretsDirectory: String?
        let environmentAllowed: Bool
        let stallSeconds: Int
        let dryRun: Bool
        let json: Bool
        /// One governor per RingCentral budget (user and app) for the whole process.
        let budgets: RateBudgets
    }

    private struct TenantOutcome: Sendable {
        let exitCode: Int32
        let report: JSON?
    }

    /// Each tenant's outcome by its index, filled in by the threads that run them.
    private final class Outcomes: Sendable {
        private let byIndex = Mutex<[Int: TenantOutcome]>([:])
        func record(_ outcome: TenantOutcome, at index: Int) { byIndex.withLock { $0[index] = outcome } }
        var inOrder: [TenantOutcome] { byIndex.withLock { $0 }.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// One tenant's whole run, on the calling thread; nil when a signal arrived before it started.
    private static func syncTenant(_ marker: TenantMarker, _ inputs: TenantRunInputs, stop: SignalStop, console: Console) -> TenantOutcome? {
        // One flag per tenant run: a lost lease or SIGINT/SIGTERM raises it, and the HTTP client aborts its transfers.
        let cancellation = CancellationFlag()
        guard stop.begin(cancellation) else { return nil }  // a signal arrived: no further tenants
        defer { stop.end(cancellation) }
        let credentials: RingCentralCredentials
        let mailboxCredentials: [String: RingCentralCredentials]
        let directory = inputs.options.secretsDirectory ?? TenantSecrets.defaultDirectory(environment: inputs.variables)
        do {
            // RingCentral's environment variables are one account's: they may serve only a run of one tenant.
            credentials = try TenantSecrets.credentials(for: marker, secretsDirectory: directory, environment: inputs.variables,
                                                        allowEnvironment: inputs.environmentAllowed)
            mailboxCredentials = try TenantSecrets.mailboxCredentials(for: marker, secretsDirectory: directory, main: credentials)
        } catch {
            console.error("ringlog sync: \(error)")
            if !inputs.dryRun {
                SyncEngine.recordRefusal(root: inputs.archive, tenant: marker, reason: "\(error)", leaseSeconds: inputs.options.leaseSeconds)
            }
            return TenantOutcome(exitCode: ExitStatus.configuration.rawValue,
                                 report: SyncReport.refused(tenantId: marker.tenantId, failure: "\(error)").json)
        }
        var httpConfiguration = CurlConfiguration()
        httpConfiguration.cancellation = cancellation
        httpConfiguration.lowSpeedTimeSeconds = inputs.stallSeconds
        var runOptions = inputs.options
        runOptions.cancellation = cancellation
        runOptions.interruptingSignal = { stop.signal }
        let http = CurlHTTPClient(configuration: httpConfiguration)
        let client = RingCentralClient(credentials: credentials, http: http, governor: inputs.budgets.governor(for: credentials),
                                       logger: Logger(label: "ringlog.ringcentral"))
        // Each mailbox login is its own RingCentral user: its own token and its own rate-limit budget
        // (shared with any other login of that user through the same app).
        let mailboxClients = mailboxCredentials.mapValues { mailbox -> any ArchiveSource in
            RingCentralClient(credentials: mailbox, http: http, governor: inputs.budgets.governor(for: mailbox),
                              logger: Logger(label: "ringlog.ringcentral"))
        }
        let engine = SyncEngine(root: inputs.archive, tenant: marker, source: client, mailboxSources: mailboxClients, options: runOptions,
                                logger: Logger(label: "ringlog.sync"))
        do {
            let report = try engine.run()
            var text = inputs.json ? "" : summary(report)
            if report.status == .failed, let failure = report.failure {
                console.output(text)
                text = ""
                console.error("ringlog sync: tenant \(marker.tenantId): \(failure)")
            }
            if !text.isEmpty { console.output(text) }
            return TenantOutcome(exitCode: exitCode(for: report), report: report.json)
        } catch {
            console.error("ringlog sync: tenant \(marker.tenantId): \(error)")
            // Refused before it started (a held lease): still one entry of the JSON summary, naming why.
            return TenantOutcome(exitCode: exitStatus(for: error).rawValue,
                                 report: SyncReport.refused(tenantId: marker.tenantId, failure: "\(error)").json)
        }
    }

    private static func exitCode(for report: SyncReport) -> Int32 {
        switch report.status {
        case .success, .dryRun: report.failure == nil ? 0 : (report.authenticationFailed ? ExitStatus.authentication.rawValue : ExitStatus.failure.rawValue)
        case .partial: ExitStatus.partial.rawValue
        case .interrupted: 128 + (report.interruptedBy ?? SIGTERM)
        case .failed:
            report.authenticationFailed ? ExitStatus.authentication.rawValue
                : report.fenced ? ExitStatus.lockHeld.rawValue
                : report.configurationFailed ? ExitStatus.configuration.rawValue : ExitStatus.failure.rawValue
        }
    }

    /// A tenant's summary as one block (concurrent tenants' blocks never interleave).
    private static func summary(_ report: SyncReport) -> String {
        var lines: [String] = []
        func print(_ line: String) { lines.append(line) }
        let counts = report.counts
        print("tenant \(report.tenantId): \(report.status.rawValue)")
        if report.status == .dryRun {
            for line in report.plan { print("  " + line) }
            if let failure = report.failure { print("  error: \(failure)") }
            return lines.joined(separator: "\n")
        }
        print("  new calls \(counts["calls"] ?? 0), revised calls \(counts["callRevisions"] ?? 0), recordings \(counts["recordings"] ?? 0), "
              + "voicemails \(counts["voicemails"] ?? 0), transcriptions \(counts["transcriptions"] ?? 0), "
              + "insights \(counts["insights"] ?? 0) (revised \(counts["insightsRevised"] ?? 0)), \(report.bytes) bytes")
        print("  new sms \(counts["sms"] ?? 0), mms \(counts["mms"] ?? 0), pager \(counts["pager"] ?? 0), faxes \(counts["faxes"] ?? 0), "
              + "attachments \(counts["attachments"] ?? 0), revised messages \(counts["messageRevisions"] ?? 0), "
              + "deleted or purged at RingCentral (kept) \(counts["messagesGone"] ?? 0)")
        print("  pending \(report.pending), quarantined \(report.quarantined), item errors \(counts["itemErrors"] ?? 0), "
              + "excluded \(counts["excluded"] ?? 0), not archived again (purged or excluded before) \(counts["tombstoned"] ?? 0)")
        let requests = RateLimitGroup.allCases.map { "\($0.rawValue) \(report.requests[$0]?.requests ?? 0)" }.joined(separator: ", ")
        let throttled = RateLimitGroup.allCases.reduce(0) { $0 + (report.requests[$1]?.throttled ?? 0) }
        print("  requests: \(requests); 429s \(throttled)")
        for warning in report.warnings.prefix(10) { print("  warning: \(warning)") }
        for error in report.errors.prefix(10) { print("  error: \(error)") }
        if let failure = report.failure { print("  failed: \(failure)") }
        return lines.joined(separator: "\n")
    }
}

/// SIGINT and SIGTERM raise every running tenant's stop flag: each run aborts its transfer, checkpoints
/// what is durable, writes its run line (`interrupted`) and releases its lease, within seconds. A
/// second signal exits at once.
final class SignalStop: Sendable {
    /// The stop flags of the runs in progress (several tenants at once), and the first signal received.
    private let state = Mutex<(flags: [ObjectIdentifier: CancellationFlag], signal: Int32?)>(([:], nil))
    private let command: String
    private let stopping: String

    init(command: String = "sync", stopping: String = "stopping after checkpointing") {
        self.command = command
        self.stopping = stopping
    }

    var signal: Int32? { state.withLock { $0.signal } }

    /// Handles SIGINT and SIGTERM from now on; keep the returned sources alive.
    func install() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            Glibc.signal(number, SIG_IGN)  // the dispatch source, not the default action, handles it
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in received(number) }
            source.resume()
            return source
        }
    }

    /// Registers the flag of a run about to start; false (and not registered) when a signal already arrived.
    func begin(_ flag: CancellationFlag) -> Bool {
        state.withLock { state in
            guard state.signal == nil else { return false }
            state.flags[ObjectIdentifier(flag)] = flag
            return true
        }
    }

    /// The run of `flag` is over: a later signal has nothing of it to stop.
    func end(_ flag: CancellationFlag) {
        _ = state.withLock { $0.flags.removeValue(forKey: ObjectIdentifier(flag)) }
    }

    private func received(_ number: Int32) {
        let first = state.withLock { state -> Bool in
            defer { if state.signal == nil { state.signal = number } }
            return state.signal == nil
        }
        guard first else { _exit(128 + number) }
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        for flag in state.withLock({ Array($0.flags.values) }) { flag.cancel(reason: "interrupted by \(name)") }
        printError("\nringlog \(command): \(name) received; \(stopping) (a second \(name) stops at once)")
    }
}
