import ArchiveExport
import ArchiveStore
import ArgumentParser
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that the tree is what its sidecars and manifest say: find silent damage.",
        discussion: """
            Checks, per tenant: every media file a sidecar or manifest line lists exists
            with its size and SHA-256 (recordings, RingSense insights, and every message
            attachment: voicemail audio and transcriptions, fax documents, SMS text, MMS
            pictures and video); every sidecar (call, voicemail, fax, SMS/MMS, pager)
            parses, validates and is where its content says (its name, ids, day and
            extension folder); sidecars, files and manifest agree; tombstoned files are gone;
            no orphan (a file nothing lists) and no leftover temporary file; tenant.json,
            state.json, pending.json and _unfiled records are intact. Each problem is
            printed with its path and what is wrong. A call whose linked voicemail or fax
            a purge removed (or the other way round) still names it: that is not damage.

            Safe beside a running sync: verify reads only and never takes the tenant's
            lease. While a sync or purge is live, files it wrote since it started are
            not judged (they are counted as skipped and checked next time).

            --max-duration stops in time and records a cursor in
            .ringlog/verify/cursor.json: the next time-boxed verify continues where it
            stopped, so a nightly run covers a large archive over several nights. A
            verify without it checks everything from the start. --sample hashes a
            random share of the media files (picked by a keyed hash of each path; the
            seed is printed, and --sample-seed repeats a choice); every other check
            still covers everything. One line per run goes to logs/verify.jsonl.

            Exit status: 0 clean; 6 damage found (each path and what is wrong printed);
            1 could not run (not an archive, unknown tenant, another verify of the
            tenant running, an unreadable tree); 64 malformed command line.

            Examples:
              ringlog verify --root /srv/archive --all
              ringlog verify --root /srv/archive --all --max-duration 3600   (nightly)
              ringlog verify --tenant 3f9c2a71d04e8b16 --sample 5 --json
            """)

    @OptionGroup var root: RootOption
    @Option(help: "Verify this tenant.") var tenant: String?
    @Flag(help: "Verify every active tenant.") var all = false
    @Option(help: ArgumentHelp("Hash only this share of the media files (0 < P ≤ 100).", valueName: "percent")) var sample: Double?
    @Option(help: ArgumentHelp("Seed for --sample, to repeat a run's choice.", valueName: "n")) var sampleSeed: UInt64?
    @Option(help: ArgumentHelp("Stop after this many seconds (at least 1) and continue from there next time.", valueName: "seconds"))
    var maxDuration: Double?
    @Flag(help: "Print a JSON array with one report per tenant on stdout.") var json = false
    @Flag(help: "Show progress on stderr even when it is not a terminal.") var progress = false

    func validate() throws {
        if tenant != nil && all { throw ValidationError("use --tenant ID or --all, not both") }
        if let sample, !(sample > 0 && sample <= 100) { throw ValidationError("--sample must be a percentage above 0 and at most 100") }
        if let maxDuration, !(maxDuration > 0 && maxDuration.isFinite) { throw ValidationError("--max-duration must be a positive number of seconds, got \(maxDuration)") }
        if sampleSeed != nil && sample == nil { throw ValidationError("--sample-seed needs --sample") }
    }

    func run() throws {
        let started = monotonicSeconds()
        let selected: (ArchiveRoot, [(String, Result<TenantMarker, any Error>)], Double)
        do {
            let archive = try ArchiveRoot.open(root.path)
            let markers = try archive.tenantMarkers(selecting: tenant)
            guard !markers.isEmpty else { throw ConfigurationError("no tenants in \(archive.path); add one with `ringlog tenant add`") }
            guard all || tenant != nil || markers.count == 1 else {
                throw ConfigurationError("\(markers.count) tenants in \(archive.path): choose one with --tenant ID, or --all")
            }
            selected = (archive, markers.map { ($0.tenantId, $0.marker) }, try leaseSeconds(environment()))
        } catch {
            printError("ringlog verify: \(error)")
            throw ExitStatus.failure  // verify's contract: 1 when it could not run
        }
        let (archive, markers, lease) = selected
        var options = VerifyOptions()
        options.samplePercent = sample
        options.sampleSeed = sampleSeed
        options.deadline = maxDuration.map { started + $0 }
        options.leaseSeconds = lease
        let cancellation = CancellationFlag()
        options.cancellation = cancellation
        let stop = SignalStop(command: "verify", stopping: "stopping after recording where it got to")
        let handlers = stop.install()
        defer { withExtendedLifetime(handlers) {} }
        _ = stop.begin(cancellation)
        let printProblems = !json
        options.onProblem = { tenantId, problem in
            if printProblems { print("\(tenantId)  \(problem.kind.rawValue)  \(shown(problem.path)): \(problem.detail)") }
        }
        if progress || (standardErrorIsTerminal && !json) {
            let onTerminal = standardErrorIsTerminal
            options.progress = { state in
                let line = "verify \(state.tenantId) \(state.month): \(state.files) sidecars, \(formatBytes(state.hashedBytes)) hashed"
                if onTerminal { printError("\u{1B}[2K\r" + line, newline: false) } else { printError(line) }
            }
        }
        // A time-boxed --all run starts with the tenant verified longest ago, so none is starved.
        var order = markers.map { (id: $0.0, marker: $0.1, last: Verifier.lastRunAt(store: archive.store(for: $0.0))) }
        if maxDuration != nil { order.sort { ($0.last?.millisecondsSinceEpoch ?? Int64.min) < ($1.last?.millisecondsSinceEpoch ?? Int64.min) } }
        var reports: [JSON] = []
        var damaged = false, failed = false
        for entry in order {
            if cancellation.isCancelled { break }
            if let deadline = options.deadline, monotonicSeconds() >= deadline { break }
            // A damaged or missing tenant.json is one of the problems verify reports; it does not stop it.
            let report = Verifier.verify(store: archive.store(for: entry.id), options: options)
            if options.progress != nil && standardErrorIsTerminal { printError("\u{1B}[2K\r", newline: false) }
            reports.append(report.json())
            if !json { printSummary(report) }
            switch report.status {
            case .clean: break
            case .damaged: damaged = true
            case .failed:
                failed = true
                printError("ringlog verify: tenant \(entry.id): \(report.failure ?? "failed")")
            }
            for note in report.notes { printError("ringlog verify: tenant \(entry.id): \(note)") }
        }
        if json { print(JSON.array(reports).serialized(.pretty)) }
        if let signal = stop.signal { throw ExitCode(128 + signal) }
        if damaged { throw ExitStatus.damage }
        if failed { throw ExitStatus.failure }
    }

    private func printSummary(_ report: VerifyReport) {
        var scope = ""
        if report.timeBoxed {
            let from = report.resumedFrom.map { "continued after \($0.day) \($0.extensionFolder)\($0.file.map { "/" + $0 } ?? "")" } ?? "from the start"
            let to = report.passComplete ? "pass complete" : report.stoppedAt.map { "stopped after \($0.day) \($0.extensionFolder)\($0.file.map { "/" + $0 } ?? "")" } ?? "stopped before the first folder"
            scope = " (time-boxed, \(from), \(to))"
        }
        print("tenant \(report.tenantId): \(report.status.rawValue)\(scope): \(report.sidecars) sidecars, \(report.mediaFiles) media files "
              + "(\(report.hashedFiles) hashed, \(formatBytes(report.hashedBytes))), \(report.manifestLines) manifest lines, "
              + "\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")"
              + (report.skippedConcurrent > 0 ? "; \(report.skippedConcurrent) in-flight files of a running sync skipped" : "")
              + (report.samplePercent.map { "; sample \($0)% (seed \(report.sampleSeed ?? 0)), \(report.notSampled) not hashed" } ?? ""))
    }
}

/// A path as printed: control characters and non-ASCII escaped, so a hostile name cannot rewrite the terminal.
func shown(_ path: String) -> String {
    path.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F } ? path : path.debugDescription
}
