import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every run leaves a line in runs.jsonl: interrupted, killed, refused.
@Suite struct RunTraceTests {
    func runLines(_ tenantDirectory: String) throws -> [JSON] {
        var lines: [JSON] = []
        try DurableFiles.forEachLine(tenantDirectory + "/logs/runs.jsonl") { lines.append(try JSON.parse($0)) }
        return lines
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func aSignalStopsTheRunWithinSecondsCheckpointedAndLogged(signal: Int32, status: Int32) async throws {
        let sim = try await LiveSimulator.start { $0.timeScale = 8; $0.days = 3; $0.callsPerDay = 12; $0.futureDays = 0; $0.slowSeconds = 1 }
        sim.setFaults(#"{"slowShare": 0.3}"#)  // a run of seconds, whatever the machine's load: still running when signalled
        let archive = try await ArchiveFixture.create(sim, since: "2026-11-18T00:00:00Z")
        let (process, errors) = try await archive.startSyncMidRun()
        let sent = Timestamp.now()
        kill(process.processIdentifier, signal)
        let stderr = try await blocking { () -> String in  // off the cooperative pool
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text
        }
        #expect(process.terminationStatus == status, "\(stderr)")
        let last = try #require(try runLines(archive.tenantDirectory).last)
        #expect(last["status"] == "interrupted", "\(last.serialized())")
        // Measured by ringlog's own clock (its run line's end), not by this loaded test process's scheduling.
        let took = (Timestamp(iso8601: last["endedAt"]?.stringValue ?? "")?.secondsSinceEpoch ?? .infinity) - sent.secondsSinceEpoch
        print("signal \(signal): run ended \(String(format: "%.2f", took)) s after it")
        #expect(took < 5, "stopped within seconds")
        #expect(archive.temporaryFiles.isEmpty, "no temp file left: \(archive.temporaryFiles)")
        #expect(archive.liveLeaseHolder == nil, "lease released")
        #expect(DurableFiles.exists(archive.tenantDirectory + "/.ringlog/state.json"), "durable work checkpointed")
        let next = try await archive.sync()
        #expect([0, 4].contains(next.status), "\(next.standardError)")
        #expect(try runLines(archive.tenantDirectory).filter { $0["failure"]?.stringValue?.contains("abnormally") == true }.isEmpty,
                "a clean interruption is not reported as abnormal")
    }

    @Test func aRunKilledWithSIGKILLIsRecordedByTheNextRun() async throws {
        let sim = try await LiveSimulator.start { $0.timeScale = 8; $0.days = 3; $0.callsPerDay = 12; $0.futureDays = 0; $0.slowSeconds = 1 }
        sim.setFaults(#"{"slowShare": 0.3}"#)  // still running when killed, whatever the machine's load
        let archive = try await ArchiveFixture.create(sim, since: "2026-11-18T00:00:00Z")
        let (process, _) = try await archive.startSyncMidRun()
        kill(process.processIdentifier, SIGKILL)
        try await blocking { process.waitUntilExit() }
        #expect(try runLines(archive.tenantDirectory).isEmpty, "the killed run wrote no line of its own")
        let next = try await archive.sync()
        #expect([0, 4].contains(next.status), "\(next.standardError)")
        let lines = try runLines(archive.tenantDirectory)
        #expect(lines.count == 2, "\(lines.map { $0.serialized() })")
        let killed = try #require(lines.first)
        #expect(killed["status"] == "failed" && killed["failure"]?.stringValue?.contains("ended abnormally") == true, "\(killed.serialized())")
        #expect(killed["runId"] != lines.last?["runId"])
        #expect(lines.last?["warnings"]?.arrayValue?.contains { $0.stringValue?.contains("ended abnormally") == true } == true)
    }

    /// RC_* variables are one account's: with several tenants selected they bind none, and each refused
    /// tenant's run leaves a line saying why.
    @Test func environmentCredentialsNeverBindOneOfSeveralTenants() async throws {
        let sim = try await LiveSimulator.start { $0.days = 1; $0.futureDays = 0 }
        let scratch = ScratchDirectory()
        let root = scratch.path + "/archive"
        _ = try await runRinglog(["init", root])
        var ids: [String] = []
        for name in ["One", "Two"] {
            let added = try await runRinglog(["tenant", "add", name, "--root", root, "--server", sim.baseURL])
            ids.append(added.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let result = try await runRinglog(["sync", "--root", root, "--all"], environment: sim.environment())
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains("no secrets file") && result.standardError.contains("--tenant"))
        for id in ids {
            let marker = try JSON.parse(DurableFiles.read(root + "/" + id + "/tenant.json"))
            #expect(marker["accountId"] == nil, "tenant \(id) was bound with credentials that are not its own")
            let lines = try runLines(root + "/" + id)
            #expect(lines.count == 1 && lines[0]["status"] == "failed"
                    && lines[0]["failure"]?.stringValue?.hasPrefix("refused before starting") == true, "\(lines.map { $0.serialized() })")
        }
        // One tenant selected: the variables are its credentials.
        let single = try await runRinglog(["sync", "--root", root, "--tenant", ids[0]], environment: sim.environment())
        #expect([0, 4].contains(single.status), "\(single.standardError)")
    }

    /// On a pipe a healthy run writes nothing to stderr; `--progress` asks for the progress lines,
    /// each with the phase, items done of the total, bytes and rate.
    @Test func aHealthyRunIsQuietOnAPipeAndShowsProgressWhenAsked() async throws {
        let sim = try await LiveSimulator.start { $0.days = 2; $0.futureDays = 0 }
        let archive = try await ArchiveFixture.create(sim, since: "2026-11-19T00:00:00Z")
        let quiet = try await runRinglog(["sync", "--root", archive.root], environment: sim.environment())
        #expect(quiet.standardError.isEmpty, "\(quiet.standardError)")
        sim.advance(seconds: 7200)
        let other = try await ArchiveFixture.create(sim, since: "2026-11-19T00:00:00Z")
        let shown = try await runRinglog(["sync", "--root", other.root, "--progress"], environment: sim.environment())
        let lines = shown.standardError.split(separator: "\n")
        #expect(lines.contains { $0.contains("call log, full sync:") && $0.contains("/") }, "\(shown.standardError)")
        #expect(lines.contains { $0.contains("MB/s") || $0.contains("KB/s") }, "bytes and rate: \(shown.standardError)")
    }
}
