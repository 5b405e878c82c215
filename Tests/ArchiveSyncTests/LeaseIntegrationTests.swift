import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binaries racing over one tenant's lease.
@Suite struct LeaseIntegrationTests {
    /// A lease left by a process that died on this host (as after kill -9).
    func leaveStaleLease(_ archive: ArchiveFixture) throws {
        let local = Lease.currentHolder().split(separator: ":").dropLast().joined(separator: ":")
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { free(argv[0]) }
        _ = posix_spawn(&pid, "/bin/true", nil, nil, &argv, environ)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let json: JSON = ["format": "ringlog-lease", "layoutVersion": 1, "generation": 1, "token": "00000000000000dd",
                          "holder": .string("\(local):\(pid)"), "renewedAt": .string(Timestamp.now().iso8601),
                          "expiresAt": .string(Timestamp.now().adding(seconds: 600).iso8601)]
        try DurableFiles.createDirectories(archive.tenantDirectory + "/.ringlog")
        try DurableFiles.writeAtomically(archive.tenantDirectory + "/.ringlog/lease.00000000000000000001", json.serializedBytes())
    }

    @Test func contendingProcessesOverAStaleLeaseLetExactlyOneIn() async throws {
        // A small account: the winner's first sync lasts a second or two, longer than the contenders take to start.
        let sim = try await LiveSimulator.start { $0.timeScale = 30; $0.days = 2; $0.callsPerDay = 10; $0.futureDays = 0 }
        let trials = 3, contenders = 6
        var doubleHolders = 0
        for _ in 0..<trials {
            let archive = try await ArchiveFixture.create(sim, since: "2026-11-19T00:00:00Z")
            try leaveStaleLease(archive)
            let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<contenders { group.addTask { try await archive.sync().status } }
                return try await group.reduce(into: [Int32]()) { $0.append($1) }
            }
            // Each admitted run logs [startedAt, endedAt], taken inside its lease: no two may overlap. (A
            // contender delayed past the winner's end is admitted after it, legitimately.)
            let admitted = statuses.filter { $0 != 5 }.count
            var runs: [(Timestamp, Timestamp)] = []
            try DurableFiles.forEachLine(archive.tenantDirectory + "/logs/runs.jsonl") { line in
                let json = try JSON.parse(line)
                runs.append((Timestamp(iso8601: json["startedAt"]?.stringValue ?? "")!, Timestamp(iso8601: json["endedAt"]?.stringValue ?? "")!))
            }
            runs.sort { $0.0 < $1.0 }
            #expect(runs.count == admitted && admitted >= 1, "statuses \(statuses), \(runs.count) run lines")
            let overlapping = zip(runs, runs.dropFirst()).filter { $0.1 < $1.0 }.count
            #expect(overlapping == 0, "runs overlapped: \(runs)")
            if overlapping > 0 { doubleHolders += 1 }
        }
        print("lease race (processes): \(contenders) × \(trials) trials, double holders \(doubleHolders)")
    }

    /// A holder frozen past its lease (SIGSTOP, a VM pause) is overtaken; when it resumes it finds
    /// itself fenced, aborts, writes nothing more but its run-log line, and exits 5.
    @Test func aFrozenHolderIsOvertakenAndFencedWhenItResumes() async throws {
        // Slow limits, a small account: the first run is mid-sync when frozen, the second finishes in seconds.
        let sim = try await LiveSimulator.start { $0.timeScale = 8; $0.days = 2; $0.callsPerDay = 10; $0.futureDays = 0; $0.slowSeconds = 1 }
        sim.setFaults(#"{"slowShare": 0.3}"#)  // a run of seconds, whatever the machine's load: it is still running when frozen
        let archive = try await ArchiveFixture.create(sim, since: "2026-11-19T00:00:00Z")
        // Frozen once it holds the lease and has archived something.
        let (process, errors) = try await archive.startSyncMidRun(environment: ["RINGLOG_LEASE_SECONDS": "2"])
        kill(process.processIdentifier, SIGSTOP)
        try await Task.sleep(nanoseconds: 2_500_000_000)  // past its lease
        // The taker's own lease is long: on a loaded machine a 2 s lease of its own could lapse too.
        let second = try await runRinglog(["sync", "--root", archive.root], environment: sim.environment().merging(["RINGLOG_LEASE_SECONDS": "30"]) { $1 })
        #expect([0, 4].contains(second.status), "the frozen holder's lapsed lease is taken over: \(second.standardError)")
        func content() -> [String: String] {
            archive.snapshot().filter { !$0.key.hasSuffix("runs.jsonl") && !$0.key.contains("/.ringlog/lease.") }
        }
        let before = content()
        let resumed = monotonicSeconds()
        kill(process.processIdentifier, SIGCONT)
        let stderr = try await blocking { () -> Data in  // off the cooperative pool: it may take a moment
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }
        let fencing = monotonicSeconds() - resumed
        print("frozen holder: exited \(process.terminationStatus) \(String(format: "%.2f", fencing)) s after SIGCONT")
        #expect(process.terminationStatus == 5, "\(String(decoding: stderr, as: UTF8.self))")
        #expect(String(decoding: stderr, as: UTF8.self).contains("lost its lease"))
        #expect(content() == before, "the fenced run wrote nothing to the tree")
        for (path, _) in archive.snapshot() where path.hasSuffix(".jsonl") {
            try DurableFiles.forEachLine(archive.root + "/" + path) { line in
                #expect((try? JSON.parse(line)) != nil, "\(path): \(String(decoding: line, as: UTF8.self))")
            }
        }
        let runs = try String(decoding: DurableFiles.read(archive.tenantDirectory + "/logs/runs.jsonl"), as: UTF8.self)
        // The second run recorded the frozen one as having stopped renewing; the frozen one, on waking,
        // logged that it lost its lease.
        #expect(runs.split(separator: "\n").count == 3 && runs.contains("ended abnormally") && runs.contains("lost its lease"), "\(runs)")
    }
}

/// A line that only partly fits (the file-size limit of a child process stands in for a disk that
/// fills mid-write: the write is short) is rolled back, so the file keeps only whole lines.
@Suite struct ShortWriteTests {
    /// Runs `script` with /bin/sh (in `environment`, else this process's): its exit status and standard error.
    private func runShell(_ script: String, environment: [String: String]? = nil) async throws -> (Int32, String) {
        try await blocking { () throws -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            if let environment { process.environment = environment }
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
    }

    @Test func aShortAppendIsRolledBackToTheLastWholeLine() async throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        while (DurableFiles.size(root.registryPath) ?? 0) + 100 <= 512 {
            _ = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        }
        let before = try DurableFiles.read(root.registryPath)
        #expect(before.count < 512)
        let binary = LiveSimulator.executablePath("ringlog")
        // dash counts `ulimit -f` in 512-byte blocks; SIGXFSZ ignored, so the write comes back short instead.
        let script = "trap '' XFSZ; ulimit -f 1; exec '\(binary)' tenant add 'a name long enough to cross the limit' --root '\(root.path)' --server https://platform.example"
        let result = try await runShell(script)
        #expect(result.0 == 1, "\(result.1)")
        #expect(result.1.contains("disk full") && result.1.contains(root.registryPath), "\(result.1)")
        #expect(try DurableFiles.read(root.registryPath) == before, "rolled back to the last whole line")
        #expect(try root.registry().count == before.split(separator: 0x0A).count)
    }
    /// A run whose lease file cannot be written (the disk full at that instant; a file-size limit stands in) leaves no
    /// empty lease file behind: it was read as "a run that is starting" and refused every run for a lease's length
    /// (10 minutes, exit 5, "another ringlog run holds …"), though the run that made it had already exited.
    @Test func aLeaseThatCouldNotBeWrittenDoesNotHoldTheTenant() async throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        let binary = LiveSimulator.executablePath("ringlog")
        let script = "trap '' XFSZ; ulimit -f 0; exec '\(binary)' sync --root '\(root.path)' --tenant \(tenant.tenantId)"
        let result = try await runShell(script, environment: [
            "RC_SERVER_URL": "https://platform.example", "RC_APP_CLIENT_ID": "id", "RC_APP_CLIENT_SECRET": "secret",
            "RC_USER_JWT": "jwt", "RINGLOG_SECRETS_DIR": scratch.path + "/secrets", "PATH": "/usr/bin:/bin"])
        let directory = root.tenantDirectory(tenant.tenantId) + "/.ringlog"
        #expect(result.0 == 1 && result.1.contains("lease.00000000000000000001"), "\(result)")
        let lease = try Lease.acquire(in: directory, renewing: false)
        lease.release()
    }
}
