import ArchiveStore
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// `ringlog verify`: proves that a tenant's tree is what its sidecars and manifest say (layout-spec
/// §16). It reads only, beside a running sync: it never takes the tenant's writer lease. Its own
/// lease (`.ringlog/verify/`) only keeps two verifies of one tenant from sharing a cursor; what it
/// writes is that cursor and one line in `logs/verify.jsonl`, files no other command writes.
public enum Verifier {
    public static let logName = "verify.jsonl"
    /// Problems kept in the log line (all of them are printed and in --json).
    static let loggedProblems = 100

    public static func verify(store: TenantStore, options: VerifyOptions) -> VerifyReport {
        var report = VerifyReport(tenantId: store.tenantId, runId: randomRunId(), startedAt: Timestamp.now())
        report.timeBoxed = options.deadline != nil
        guard store.exists else {
            // The registry names the tenant and the root is mounted (its marker was read): its data is gone.
            report.problems.append(VerifyProblem(path: ".", kind: .missing,
                                                 detail: "the tenant directory \(store.directory) is missing, though tenants.jsonl lists the tenant"))
            options.onProblem?(store.tenantId, report.problems[0])
            report.endedAt = Timestamp.now()
            return report
        }
        let verifyDirectory = DurableFiles.join(store.controlDirectory, VerifyCursor.directoryName)
        var lease: Lease?
        do {
            lease = try Lease.acquire(in: verifyDirectory, leaseSeconds: options.leaseSeconds, cancellation: options.cancellation,
                                      runId: report.runId)
        } catch let error as LeaseError {
            report.failure = "another verify of this tenant is running: \(error)"
            report.endedAt = Timestamp.now()
            return report
        } catch let error as ArchiveIOError where [EROFS, EACCES, EPERM].contains(error.code) {
            // A read-only copy (an auditor's): verify it all, record nothing.
            report.notes.append("\(error); verified without recording a cursor or a log line")
        } catch {
            report.failure = "\(error)"
            report.endedAt = Timestamp.now()
            return report
        }
        defer { lease?.release() }
        if let lease { DurableFiles.sweepTemporaryFiles(in: verifyDirectory, keeping: lease.token) }

        let cursorPath = DurableFiles.join(verifyDirectory, VerifyCursor.fileName)
        var cursor = VerifyCursor()
        if lease != nil {
            do { cursor = try VerifyCursor.load(cursorPath) } catch {
                report.notes.append("\(error); starting a new pass (the file is replaced)")
            }
        }
        let now = Timestamp.now()
        let resumeFrom = report.timeBoxed ? cursor.pass?.position : nil
        report.resumedFrom = resumeFrom
        report.passStartedAt = report.timeBoxed ? (cursor.pass?.startedAt ?? now) : now

        let check = TreeCheck(store: store, options: options, report: report)
        do {
            try check.run(resumeAfter: resumeFrom, freshPass: resumeFrom == nil)
        } catch {
            check.report.failure = "\(error)"
        }
        report = check.report
        report.endedAt = Timestamp.now()
        report.stoppedAt = check.stoppedAt
        report.passComplete = report.failure == nil && !check.stopped

        guard let lease, !lease.isFenced else { return report }
        if report.failure == nil {
            if report.passComplete {
                let runs = report.timeBoxed ? (cursor.pass?.runs ?? 0) + 1 : 1
                let problems = (report.timeBoxed ? cursor.pass?.problems ?? 0 : 0) + report.problems.count
                cursor.lastCompletedPass = VerifyCursor.CompletedPass(startedAt: report.passStartedAt ?? report.startedAt,
                                                                      completedAt: report.endedAt!, runs: runs, problems: problems)
                cursor.pass = nil
            } else {
                cursor.pass = VerifyCursor.Pass(startedAt: report.passStartedAt ?? report.startedAt, runs: (cursor.pass?.runs ?? 0) + 1,
                                                position: check.stoppedAt ?? resumeFrom, problems: (cursor.pass?.problems ?? 0) + report.problems.count)
            }
        }
        cursor.lastRunAt = report.endedAt
        do {
            try DurableFiles.writeAtomically(cursorPath, cursor.bytes, owner: lease.token, onlyIfChanged: false)
        } catch {
            report.notes.append("could not record the cursor: \(error)")
        }
        do {
            try DurableFiles.createDirectories(store.logDirectory)
            try DurableFiles.appendLine(DurableFiles.join(store.logDirectory, logName), report.json(problemLimit: loggedProblems).serialized())
        } catch {
            report.notes.append("could not append to logs/\(logName): \(error)")
        }
        return report
    }

    /// When a tenant's last verify run ended (to order `--all` time-boxed runs oldest first).
    public static func lastRunAt(store: TenantStore) -> Timestamp? {
        let path = DurableFiles.join(store.controlDirectory, VerifyCursor.directoryName, VerifyCursor.fileName)
        return (try? VerifyCursor.load(path))?.lastRunAt
    }
}

/// 64 random bits as 16 hex digits: a run id.
func randomRunId() -> String {
    var bytes = [UInt8](repeating: 0, count: 8)
    for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
    return hexString(bytes)
}

/// Stops a run at its deadline (or on a signal) between two files or two chunks.
struct StopRun: Error {}
