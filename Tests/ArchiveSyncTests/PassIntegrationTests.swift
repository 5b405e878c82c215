import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// The passes through the real `ringlog` binary, on an archive a real sync made from the simulator.
@Suite struct PassIntegrationTests {
    /// Item files (trash included) and tombstone lines, with run ids replaced: what a purge leaves.
    static func state(_ tenant: String) throws -> (files: [String: String], tombstones: [String]) {
        var names = Set(DurableFiles.list(tenant + "/.trash"))
        var tombstones: [String] = []
        for shard in DurableFiles.list(tenant + "/tombstones") {
            try DurableFiles.forEachLine(tenant + "/tombstones/" + shard) { line in
                let json = try JSON.parse(line)
                if let runId = json["runId"]?.stringValue { names.insert(runId) }
                tombstones.append(String(decoding: line, as: UTF8.self))
            }
        }
        // Run ids name the trash folder, and each run reads the clock: neither is the tree's content.
        func normalize(_ text: String) -> String {
            names.reduce(text) { $0.replacingOccurrences(of: $1, with: "RUN") }
                .replacingOccurrences(of: #""removedAt":\s*"[^"]*""#, with: "\"removedAt\":\"T\"", options: .regularExpression)
        }
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: tenant)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.contains("/"), !relative.hasPrefix(".ringlog"), !relative.hasPrefix("logs"), !relative.hasPrefix("manifest"),
                !relative.hasPrefix("tombstones"), !DurableFiles.isDirectory(tenant + "/" + relative)
            else { continue }
            if relative.hasSuffix("/trash.json") {  // when it was trashed: the clock's
                files[normalize(relative)] = "present"
                continue
            }
            files[normalize(relative)] = SHA256Hasher.hex(of: Array(normalize(String(decoding: try DurableFiles.read(tenant + "/" + relative), as: UTF8.self)).utf8))
        }
        return (files, tombstones.map(normalize).sorted())
    }

    static func copy(_ archive: ArchiveFixture, _ scratch: ScratchDirectory, _ name: String) throws -> String {
        let path = scratch.path + "/" + name
        try FileManager.default.copyItem(atPath: archive.root, toPath: path)
        return path
    }

    /// A policy that expires everything the simulator made (it is all older than a day), so the runs
    /// compared below cannot differ by an item crossing its expiry in between; a hold keeps extension 101.
    static func governedArchive() async throws -> (LiveSimulator, ArchiveFixture) {
        let sim = try await LiveSimulator.start { $0.days = 2; $0.callsPerDay = 25; $0.futureDays = 0 }
        let archive = try await ArchiveFixture.create(sim)
        _ = try await archive.sync()
        let policy = try await runRinglog(["policy", "set", "--root", archive.root, "--tenant", archive.tenantId, "--calls", "1d", "--recordings", "1d",
                                           "--voicemails", "1d", "--max-delete", "100000", "--reason", "integration test"])
        #expect(policy.status == 0, "\(policy.standardError)")
        let hold = try await runRinglog(["hold", "add", "--root", archive.root, "--tenant", archive.tenantId, "--extension", "101", "--reason", "matter 1"])
        #expect(hold.status == 0 && hold.standardOutput.hasPrefix("hold-"), "\(hold.standardError)")
        return (sim, archive)
    }

    @Test func aPurgeKilledWithSIGKILLAtAnyPointFinishesOnTheNextRun() async throws {
        let (sim, archive) = try await Self.governedArchive()
        defer { withExtendedLifetime(sim) {} }
        let scratch = ScratchDirectory()
        let referenceRoot = try Self.copy(archive, scratch, "reference")
        let reference = try await runRinglog(["purge", "--root", referenceRoot, "--tenant", archive.tenantId, "--json"])
        #expect(reference.status == 0, "\(reference.standardError)")
        let expected = try Self.state(referenceRoot + "/" + archive.tenantId)
        let removed = try JSON.parse(reference.standardOutput)[0]?["removed"]?["files"]?.int64Value ?? 0
        #expect(removed > 30 && expected.tombstones.count == Int(removed))
        // Killed (exit 137, as SIGKILL) before durable step k, then run again.
        for crashAt in [1, 2, 4, 9, 41, Int(removed), Int(removed) * 2 - 3] {
            let root = try Self.copy(archive, scratch, "crash-\(crashAt)")
            let killed = try await runRinglog(["purge", "--root", root, "--tenant", archive.tenantId], environment: ["RINGLOG_TEST_CRASH_AT_STEP": String(crashAt)])
            #expect(killed.status == 137 || (killed.status == 0 && crashAt > Int(removed)), "step \(crashAt): \(killed.standardError)")
            let rerun = try await runRinglog(["purge", "--root", root, "--tenant", archive.tenantId])
            #expect(rerun.status == 0, "\(rerun.standardError)")
            let state = try Self.state(root + "/" + archive.tenantId)
            let differing = Set(state.files.keys).union(expected.files.keys).filter { state.files[$0] != expected.files[$0] }.sorted()
            #expect(differing.isEmpty, "killed at step \(crashAt): the tree differs: \(differing.prefix(5).map { "\($0) \(state.files[$0] == nil ? "missing" : expected.files[$0] == nil ? "extra" : "differs")" })")
            #expect(state.tombstones == expected.tombstones, "killed at step \(crashAt): the tombstones differ")
        }
        // A real SIGKILL at moments chosen at random, with each step slowed down so they land mid-run.
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2 {
            let root = try Self.copy(archive, scratch, "sigkill-\(round)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: LiveSimulator.executablePath("ringlog"))
            process.arguments = ["purge", "--root", root, "--tenant", archive.tenantId]
            process.environment = ProcessInfo.processInfo.environment.merging(["RINGLOG_TEST_STEP_DELAY_MS": "1"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delay = UInt32.random(in: 30_000...400_000, using: &generator)
            try await blocking {
                usleep(delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            // A kill between the lease file's O_EXCL create and its write leaves it empty, and an empty lease is live
            // until its mtime is a lease length old (layout-spec §8.3): the rerun waits that out, with a 3 s lease.
            let control = root + "/" + archive.tenantId + "/.ringlog"
            let unwritten = DurableFiles.list(control).contains { $0.hasPrefix(Lease.filePrefix) && DurableFiles.size(control + "/" + $0) == 0 }
            if unwritten { try await blocking { usleep(3_300_000) } }
            let rerun = try await runRinglog(["purge", "--root", root, "--tenant", archive.tenantId],
                                             environment: unwritten ? ["RINGLOG_LEASE_SECONDS": "3"] : [:])
            #expect(rerun.status == 0, "\(rerun.standardError)")
            let state = try Self.state(root + "/" + archive.tenantId)
            let differing = Set(state.files.keys).union(expected.files.keys).filter { state.files[$0] != expected.files[$0] }.sorted()
            #expect(state.files == expected.files && state.tombstones == expected.tombstones,
                    "SIGKILL after \(delay / 1000) ms: the result differs: \(differing.prefix(5).map { "\($0) \(state.files[$0] == nil ? "missing" : expected.files[$0] == nil ? "extra" : "differs")" })")
        }
        // What a purge removed does not come back with a full resync.
        unlink(referenceRoot + "/" + archive.tenantId + "/.ringlog/state.json")
        let resync = try await runRinglog(["sync", "--root", referenceRoot, "--json"], environment: sim.environment())
        #expect(resync.status == 0, "\(resync.standardError)")
        #expect(try Self.state(referenceRoot + "/" + archive.tenantId).files == expected.files, "nothing came back")
        #expect((try JSON.parse(resync.standardOutput)[0]?["counts"]?["tombstoned"]?.int64Value ?? 0) > 0)
    }

    @Test func aPurgeBesideARunningSyncWaitsForTheLeaseAndADryRunChangesNothing() async throws {
        let sim = try await LiveSimulator.start { $0.timeScale = 8; $0.days = 2; $0.callsPerDay = 10; $0.futureDays = 0; $0.slowSeconds = 1 }
        sim.setFaults(#"{"slowShare": 0.3}"#)
        let archive = try await ArchiveFixture.create(sim, since: "2026-11-19T00:00:00Z")
        _ = try await runRinglog(["policy", "set", "--root", archive.root, "--tenant", archive.tenantId, "--calls", "1d", "--recordings", "1d",
                                  "--voicemails", "1d", "--reason", "test"])
        let (process, _) = try await archive.startSyncMidRun()
        let purge = try await runRinglog(["purge", "--root", archive.root, "--tenant", archive.tenantId])
        #expect(purge.status == 5 && purge.standardError.contains("holds"), "\(purge.status) \(purge.standardError)")
        let hold = try await runRinglog(["hold", "add", "--root", archive.root, "--tenant", archive.tenantId, "--reason", "x"])
        #expect(hold.status == 5)
        // A dry run needs no lease: it runs beside the sync and writes nothing.
        let dry = try await runRinglog(["purge", "--root", archive.root, "--tenant", archive.tenantId, "--dry-run"])
        #expect(dry.status == 0 || dry.status == 2, "\(dry.standardError)")
        try await blocking { process.waitUntilExit() }
        let before = archive.snapshot()
        let dryAgain = try await runRinglog(["purge", "--root", archive.root, "--tenant", archive.tenantId, "--dry-run", "--json"])
        #expect(archive.snapshot() == before, "a dry run changed a file or its mtime")
        #expect(try JSON.parse(dryAgain.standardOutput)[0]?["dryRun"] == true)
        let after = try await runRinglog(["purge", "--root", archive.root, "--tenant", archive.tenantId, "--max-delete", "100000"])
        #expect(after.status == 0, "\(after.standardError)")
    }

    @Test func theCommandLineExplainsAndRefuses() async throws {
        let scratch = ScratchDirectory()
        let root = scratch.path + "/archive"
        _ = try await runRinglog(["init", root])
        let tenant = try await runRinglog(["tenant", "add", "T", "--root", root, "--server", "https://platform.example"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        func ringlog(_ arguments: [String]) async throws -> RinglogResult {
            try await runRinglog(arguments + ["--root", root], environment: ["RINGLOG_SECRETS_DIR": scratch.path + "/secrets"])
        }
        let zero = try await ringlog(["policy", "set", "--tenant", tenant, "--calls", "0d", "--reason", "x"])
        #expect(zero.status == 2 && zero.standardError.contains("zero"))
        let shorter = try await ringlog(["policy", "set", "--tenant", tenant, "--calls", "1y", "--recordings", "2y", "--reason", "x"])
        #expect(shorter.status == 2 && shorter.standardError.contains("calls") && shorter.standardError.contains("recordings"))
        let none = try await ringlog(["purge", "--tenant", tenant])
        #expect(none.status == 0 && none.standardOutput.contains("kept forever"))
        let help = try await ringlog(["policy", "set", "--help"])
        #expect(help.standardOutput.contains("45 CFR 164.316(b)(2)(i)") && help.standardOutput.contains("17 CFR 210.2-06")
                && help.standardOutput.contains("2014/65/EU Art. 16(7)") && help.standardOutput.contains("FINRA Rule 4511(b)"))
        let hipaa = try await ringlog(["policy", "set", "--tenant", tenant, "--preset", "hipaa", "--reason", "HIPAA programme"])
        #expect(hipaa.status == 0, "\(hipaa.standardError)")
        let added = try await ringlog(["exclude", "add", "--tenant", tenant, "--number", "(415) 555-0123 x7", "--reason", "private line"])
        #expect(added.status == 0, "\(added.standardError)")
        var info = stat()
        #expect(stat(scratch.path + "/secrets/\(tenant).exclusion-key", &info) == 0 && info.st_mode & 0o777 == 0o600, "the key is created 0600")
        let list = try await ringlog(["exclude", "list", "--tenant", tenant])
        #expect(list.standardOutput.contains("…23") && !list.standardOutput.contains("5550123"))
        let tree = try String(decoding: DurableFiles.read(root + "/" + tenant + "/exclusions.jsonl"), as: UTF8.self)
        #expect(!tree.contains("5550123") && !tree.contains("555-0123"))
        let bad = try await ringlog(["exclude", "add", "--tenant", tenant, "--number", "+33 1 23 XX XX XX", "--reason", "x"])
        #expect(bad.status == 2 && bad.standardError.contains("masked"))
        let country = try await ringlog(["tenant", "set", tenant, "--country", "GB"])
        #expect(country.status == 0, "\(country.standardError)")
        let national = try await ringlog(["exclude", "add", "--tenant", tenant, "--number", "020 7946 0958", "--reason", "GP line", "--json"])
        #expect(national.status == 0)
        #expect(try JSON.parse(national.standardOutput)["rule"]?.stringValue == "number …58")
        let audit = try String(decoding: DurableFiles.read(root + "/" + tenant + "/logs/audit.jsonl"), as: UTF8.self)
        // policy.set, purge (no policy: audited all the same), exclusion.add, tenant.set, exclusion.add.
        #expect(audit.split(separator: "\n").count == 5 && !audit.contains("7946"), "\(audit)")
    }
}
