import Foundation
import ArchiveStore
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Testing

/// The real `ringlog` binary against the real simulator binary, over loopback, checked against the
/// simulator's ground truth.
@Suite struct SyncIntegrationTests {
    @Test func firstSyncArchivesEveryItemOnceAndReindexReproducesTheManifest() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        let result = try await archive.sync()
        try archive.expectExactStatus(result)
        try archive.expectMatchesTruth()
        let report = try archive.report(result)
        #expect(report["counts"]?["calls"]?.int == (try archive.truth()).filter { $0["kind"] == "call" }.count)
        #expect((report["requests"]?["heavy"]?["requests"]?.int ?? 0) > 0)
        #expect(report["requests"]?["heavy"]?["429s"]?.int == 0)

        let incremental = archive.manifestLineSet
        let reindexed = try await runRinglog(["reindex", "--root", archive.root, "--tenant", archive.tenantId])
        #expect(reindexed.status == 0, "\(reindexed.standardError)")
        #expect(archive.manifestLineSet == incremental, "reindex from the sidecars alone gives the same lines")
        #expect(reindexed.standardOutput.contains("0 added, 0 dropped"))

        // A line lost by hand and a line nobody's sidecar implies: reindex reports and repairs both.
        let shard = archive.tenantDirectory + "/manifest/2026-11.jsonl"
        var lines = String(decoding: try DurableFiles.read(shard), as: UTF8.self).split(separator: "\n").map(String.init)
        lines.removeFirst()
        lines.append(#"{"kind":"call","path":"101/2026-11-20/invented.json"}"#)
        try DurableFiles.writeAtomically(shard, Array((lines.joined(separator: "\n") + "\n").utf8))
        let repaired = try await runRinglog(["reindex", "--root", archive.root, "--tenant", archive.tenantId])
        #expect(repaired.standardOutput.contains("1 added, 1 dropped"), "\(repaired.standardOutput)")
        #expect(archive.manifestLineSet == incremental)
    }

    @Test func aSecondRunWithNothingNewWritesNothing() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        try archive.expectExactStatus(try await archive.sync())
        let waiting = try archive.pendingRecordingIds()
        let before = archive.snapshot()
        let second = try await archive.sync()
        try archive.expectExactStatus(second, waitingSince: waiting)
        let after = archive.snapshot()
        let runLog = "\(archive.tenantId)/logs/runs.jsonl"
        let changed = Set(after.keys).union(before.keys).filter { before[$0] != after[$0] }
        // Allowed to change: the run log (one appended line) and the tenant's control files.
        let unexpected = changed.filter { $0 != runLog && !$0.hasPrefix("\(archive.tenantId)/.ringlog/") }
        #expect(unexpected.isEmpty, "rewritten by a no-op run: \(unexpected.sorted().prefix(10))")
        #expect(changed.contains(runLog))
        let runs = String(decoding: try DurableFiles.read(archive.root + "/" + runLog), as: UTF8.self).split(separator: "\n")
        #expect(runs.count == 2)
        let report = try archive.report(second)
        #expect(report["counts"]?["calls"]?.int == 0 && report["counts"]?["recordings"]?.int == 0)
    }

    @Test func incrementalSyncPicksUpNewCallsLateRecordingsAndRevisedRecords() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        try archive.expectExactStatus(try await archive.sync())
        // Aim at a call that is already in the call log while its recording has not appeared yet.
        let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        func instant(_ item: JSON, _ key: String) -> Timestamp { Timestamp(iso8601: item[key]?.stringValue ?? "")! }
        let late = try #require(sim.recordingSchedule.first { instant($0, "appearsAt") > start.adding(seconds: 3600) })
        let appears = instant(late, "appearsAt")
        sim.advance(seconds: Double(appears.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000 - 30)
        let waitingBefore = try archive.pendingRecordingIds()
        let before = try await archive.sync()
        try archive.expectExactStatus(before, waitingSince: waitingBefore)
        try archive.expectMatchesTruth()
        #expect((try archive.report(before)["counts"]?["calls"]?.int ?? 0) > 0, "new calls arrived while the clock ran")
        let callLine = try #require(archive.manifestLines.first { $0["kind"] == "call" && $0["callId"] == late["callId"] },
                                    "the call is archived before its recording exists")
        sim.advance(seconds: 60 + Double(instant(late, "readyAt").millisecondsSinceEpoch - appears.millisecondsSinceEpoch) / 1000)
        let waiting = try archive.pendingRecordingIds()
        let result = try await archive.sync()
        try archive.expectExactStatus(result, waitingSince: waiting)
        try archive.expectMatchesTruth()
        let report = try archive.report(result)
        #expect((report["counts"]?["callRevisions"]?.int ?? 0) > 0, "the record changed after it was archived")
        let sidecar = try archive.sidecar(try #require(callLine["path"]?.stringValue))
        #expect(sidecar["archive"]?["revision"]?.int == 2)
        #expect(sidecar["archive"]?["revisions"]?[0]?["record"]?["recording"] == nil, "revision 1 kept as it was")
        #expect(sidecar["record"]?["recording"]?["id"] == late["recordingId"], "the current record has the recording")
        #expect(sidecar["archive"]?["media"]?[0]?["id"] == late["recordingId"])
        #expect(archive.manifestLines.contains { $0["kind"] == "call" && $0["callId"] == late["callId"] && $0["revision"]?.int == 2 })
    }

    @Test func anExpiredSyncTokenIsRecoveredWithoutGapOrDuplicate() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        try archive.expectExactStatus(try await archive.sync())
        let waiting = try archive.pendingRecordingIds()
        sim.advance(seconds: 8 * 3600)
        sim.expireSyncTokens()
        let result = try await archive.sync()
        try archive.expectExactStatus(result, waitingSince: waiting)
        let report = try archive.report(result)
        #expect(report["warnings"]?.arrayValue?.contains { $0.stringValue?.contains("sync token refused") == true } == true)
        try archive.expectMatchesTruth()
    }

    @Test func overTheSyncLimitIsRecoveredWithoutGapOrDuplicate() async throws {
        let sim = try await LiveSimulator.start { $0.callsPerDay = 80; $0.futureDays = 6 }
        let archive = try await ArchiveFixture.create(sim)
        try archive.expectExactStatus(try await archive.sync())
        let waiting = try archive.pendingRecordingIds()
        sim.advance(seconds: 5 * 86_400)  // far more than 250 changed records
        let result = try await archive.sync()
        try archive.expectExactStatus(result, waitingSince: waiting)
        let report = try archive.report(result)
        #expect(report["warnings"]?.arrayValue?.contains { $0.stringValue?.contains("max sync record number") == true } == true)
        try archive.expectMatchesTruth()
    }

    @Test func callIdsDifferingOnlyInCaseGetDistinctFilesOnCaseInsensitiveShares() async throws {
        let sim = try await LiveSimulator.start { $0.days = 14 }
        let archive = try await ArchiveFixture.create(sim)
        try archive.expectExactStatus(try await archive.sync())
        let calls = archive.manifestLines.filter { $0["kind"] == "call" && $0["revision"]?.int == 1 }
        let byFoldedId = Dictionary(grouping: calls) { $0["callId"]?.stringValue?.lowercased() ?? "" }
        let pairs = byFoldedId.values.filter { $0.count > 1 }
        #expect(!pairs.isEmpty, "the simulator produced ids differing only in case")
        for pair in pairs {
            let ids = Set(pair.compactMap { $0["callId"]?.stringValue })
            let names = pair.compactMap { $0["path"]?.stringValue?.split(separator: "/").last.map(String.init) }
            #expect(ids.count == pair.count, "distinct ids")
            #expect(Set(names.map { $0.lowercased() }).count == pair.count, "names differ even when case is ignored: \(names)")
        }
        // Every name in the tree is unique under case-insensitive comparison, and uses the safe alphabet only.
        let paths = archive.snapshot().keys
        #expect(Set(paths.map { $0.lowercased() }).count == paths.count)
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/")
        #expect(paths.allSatisfy { $0.allSatisfy(allowed.contains) && $0.split(separator: "/").allSatisfy { $0.utf8.count <= 255 } })
    }

    @Test func dryRunPrintsThePlanAndWritesNothing() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        let before = archive.snapshot()
        let result = try await runRinglog(["sync", "--root", archive.root, "--dry-run"], environment: sim.environment())
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("full sync") && result.standardOutput.contains("nothing written"))
        #expect(archive.snapshot() == before)
        #expect(!DurableFiles.exists(archive.tenantDirectory + "/.ringlog"), "no lock, no state")
    }

    @Test func aCrashedRunIsCompletedByTheNextWithNothingHalfWritten() async throws {
        let sim = try await LiveSimulator.start { $0.timeScale = 30 }  // slow enough to be killed mid-run
        let archive = try await ArchiveFixture.create(sim)
        // Killed once it holds the lease and has archived something (a fixed sleep let a quiet machine
        // finish the whole run first).
        let (process, _) = try await archive.startSyncMidRun()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!archive.manifestLines.isEmpty, "the killed run had archived part of the account")
        #expect(archive.liveLeaseHolder != nil, "and left its lease behind, unreleased")
        let waiting = (try? archive.pendingRecordingIds()) ?? []  // the killed run may have written no queue yet
        let result = try await archive.sync()
        #expect(result.status != 5, "a dead local holder's lock is taken over: \(result.standardError)")
        try archive.expectExactStatus(result, waitingSince: waiting)
        try archive.expectMatchesTruth()
        #expect(archive.temporaryFiles.isEmpty, "stale temporary files were swept: \(archive.temporaryFiles)")
    }

    @Test func aSecondConcurrentSyncIsRefusedByTheLock() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        let lock = try Lease.acquire(in: archive.tenantDirectory + "/.ringlog")
        let refused = try await archive.sync()
        #expect(refused.status == 5)
        #expect(refused.standardError.contains("holds") && refused.standardError.contains(Lease.currentHolder()))
        #expect(archive.manifestLines.isEmpty)
        lock.release()
        let allowed = try await archive.sync()
        try archive.expectExactStatus(allowed)
    }

    @Test func aSecretsFileReadableByOthersIsRefused() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        let secrets = archive.scratch.path + "/secrets"
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        let credentials = sim.credentials()
        let file = secrets + "/\(archive.tenantId).json"
        let body: JSON = ["clientId": .string(credentials.clientId), "clientSecret": .string(credentials.clientSecret),
                          "jwt": .string(credentials.jwt)]
        try DurableFiles.writeAtomically(file, body.serializedBytes())
        chmod(file, 0o644)
        let refused = try await runRinglog(["sync", "--root", archive.root, "--secrets-dir", secrets])
        #expect(refused.status == 2)
        #expect(refused.standardError.contains("chmod 600"))
        #expect(!refused.standardError.contains(credentials.clientSecret) && !refused.standardError.contains(credentials.jwt))
        chmod(file, 0o600)
        let accepted = try await runRinglog(["sync", "--root", archive.root, "--secrets-dir", secrets])
        try archive.expectExactStatus(accepted)
    }

    @Test func aMissingRootAndAForeignAccountAreRefused() async throws {
        let sim = try await LiveSimulator.start { $0.accounts = 2 }
        let archive = try await ArchiveFixture.create(sim)
        let missing = try await runRinglog(["sync", "--root", archive.scratch.path + "/not-mounted"], environment: sim.environment())
        #expect(missing.status == 2 && missing.standardError.contains("does not exist"))
        #expect(!DurableFiles.exists(archive.scratch.path + "/not-mounted"))
        try archive.expectExactStatus(try await archive.sync(account: 0))
        // Everything but the run log (which gains the refusal's line) and the lease files (which record the
        // refused run's lease) stays as it was: no content, no state, and no item error either.
        func content() -> [String: String] {
            archive.snapshot().filter { !$0.key.hasSuffix("/logs/runs.jsonl") && !$0.key.contains("/.ringlog/lease.") }
        }
        let before = content()
        let foreign = try await archive.sync(account: 1)
        #expect(foreign.status == 2, "\(foreign.standardError)")
        #expect(try archive.report(foreign)["failure"]?.stringValue?.contains("bound to RingCentral account") == true)
        #expect(content() == before)
    }

    @Test func lateRecordingsWaitInThePendingQueueUntilReady() async throws {
        let sim = try await LiveSimulator.start()
        let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        func instant(_ item: JSON, _ key: String) -> Timestamp { Timestamp(iso8601: item[key]?.stringValue ?? "")! }
        let late = try #require(sim.recordingSchedule.first { instant($0, "appearsAt") > start && instant($0, "readyAt") > instant($0, "appearsAt") })
        sim.advance(seconds: Double(instant(late, "appearsAt").millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000)
        let archive = try await ArchiveFixture.create(sim)
        let first = try await archive.sync()
        #expect(first.status == 4, "partial while a recording is pending: \(first.standardError)")
        try archive.expectExactStatus(first)
        #expect(try archive.pendingRecordingIds().contains(late["recordingId"]?.stringValue ?? "?"))
        let listed = try await runRinglog(["pending", "--root", archive.root])
        #expect(listed.standardOutput.contains(late["recordingId"]?.stringValue ?? "?"))
        sim.advance(seconds: Double(instant(late, "readyAt").millisecondsSinceEpoch - instant(late, "appearsAt").millisecondsSinceEpoch) / 1000 + 1)
        try archive.expectExactStatus(try await archive.sync(["--retry-pending"]))
        #expect(archive.manifestLines.contains { $0["recordingId"] == late["recordingId"] })
        try archive.expectMatchesTruth()
    }

    @Test func verboseOutputAndEverythingWrittenHoldNoSecret() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        let credentials = sim.credentials()
        let sync = try await runRinglog(["sync", "--root", archive.root, "--verbose"], environment: sim.environment())
        try archive.expectExactStatus(sync)
        #expect(sync.standardError.contains("GET /account/~/call-log"), "verbose logs the requests")
        let probe = try await runRinglog(["probe", "--verbose"], environment: sim.environment())
        #expect(probe.status == 0)
        let wrongJWT = try await runRinglog(["probe"], environment: sim.environment().merging(["RC_USER_JWT": credentials.jwt + "x"]) { $1 })
        #expect(wrongJWT.status == 3)
        var everything = [sync.standardOutput, sync.standardError, probe.standardOutput, probe.standardError,
                          wrongJWT.standardOutput, wrongJWT.standardError]
        for relative in archive.snapshot().keys where !relative.hasSuffix(".mp3") && !relative.hasSuffix(".wav") {
            everything.append(String(decoding: try DurableFiles.read(archive.root + "/" + relative), as: UTF8.self))
        }
        // Every simulator access token starts with this prefix.
        for secret in [credentials.clientSecret, credentials.jwt, "U0lNMDFQMDFQQVMwMHxBQUJ", "access_token="] {
            #expect(!everything.contains { $0.contains(secret) }, "a secret leaked: \(secret.prefix(12))…")
        }
    }
}
