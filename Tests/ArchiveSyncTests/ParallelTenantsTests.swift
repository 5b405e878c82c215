import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ringlog sync --all` runs tenants concurrently (`--parallel`, default 4), each with its own logins
/// and lease; one tenant's failure stops no other, and the exit status covers them all.
@Suite struct ParallelTenantsTests {
    /// An archive root with one tenant per simulator account, each with a secrets file of its own.
    struct Tenants {
        let scratch = ScratchDirectory()
        var root: String { scratch.path + "/archive" }
        var secrets: String { scratch.path + "/secrets" }
        var ids: [String] = []

        /// `account` maps a tenant's index to the simulator account whose login it is given (default: its own).
        static func create(_ sim: LiveSimulator, count: Int, broken: Set<Int> = [], account: (Int) -> Int = { $0 }) async throws -> Tenants {
            var tenants = Tenants()
            _ = try await runRinglog(["init", tenants.root])
            try FileManager.default.createDirectory(atPath: tenants.secrets, withIntermediateDirectories: true)
            for index in 0..<count {
                let added = try await runRinglog(["tenant", "add", "Tenant \(index)", "--root", tenants.root, "--server", sim.baseURL,
                                                  "--since", "2026-11-18T00:00:00Z"])
                #expect(added.status == 0, "\(added.standardError)")
                let id = added.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                let credentials = sim.credentials(account: account(index))
                let body: JSON = ["clientId": .string(credentials.clientId),
                                  "clientSecret": .string(credentials.clientSecret + (broken.contains(index) ? "-revoked" : "")),
                                  "jwt": .string(credentials.jwt)]
                let file = tenants.secrets + "/\(id).json"
                try DurableFiles.writeAtomically(file, body.serializedBytes())
                chmod(file, 0o600)
                tenants.ids.append(id)
            }
            return tenants
        }

        func runLines(_ index: Int) throws -> [JSON] {
            var lines: [JSON] = []
            try DurableFiles.forEachLine(root + "/" + ids[index] + "/logs/runs.jsonl") { lines.append(try JSON.parse($0)) }
            return lines
        }

        /// The [startedAt, endedAt] of the tenant's last run, by ringlog's own clock.
        func lastRun(_ index: Int) throws -> (start: Double, end: Double) {
            let line = try #require(try runLines(index).last)
            func instant(_ key: String) throws -> Double {
                try #require(line[key]?.stringValue.flatMap(Timestamp.init(iso8601:))).secondsSinceEpoch
            }
            return (try instant("startedAt"), try instant("endedAt"))
        }

        /// Every manifest line of the tenant.
        func manifestLines(_ index: Int) throws -> [JSON] {
            let directory = root + "/" + ids[index] + "/manifest"
            var lines: [JSON] = []
            for shard in try FileManager.default.contentsOfDirectory(atPath: directory) where shard.hasSuffix(".jsonl") {
                try DurableFiles.forEachLine(directory + "/" + shard) { lines.append(try JSON.parse($0)) }
            }
            return lines
        }
    }

    /// The simulator's truth for one account: call ids and the ids of its recordings and voicemail files.
    func truth(_ sim: LiveSimulator, account: Int) -> (calls: Set<String>, media: Set<String>) {
        let accountId = sim.startup["accounts"]?[account]?["accountId"]?.stringValue
        let items = sim.truth.filter { $0["accountId"]?.stringValue == accountId }
        let calls = Set(items.filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue })
        let media = Set(items.filter { ["recording", "voicemail", "transcription"].contains($0["kind"]?.stringValue ?? "") }
            .compactMap { $0["recordingId"]?.stringValue ?? $0["attachmentId"]?.stringValue })
        return (calls, media)
    }

    func archived(_ tenants: Tenants, _ index: Int) throws -> (calls: Set<String>, media: Set<String>) {
        let lines = try tenants.manifestLines(index)
        let calls = Set(lines.filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue })
        let media = Set(lines.filter { ["recording", "voicemail", "transcription"].contains($0["kind"]?.stringValue ?? "") && $0["sha256"] != nil }
            .compactMap { $0["recordingId"]?.stringValue ?? $0["attachmentId"]?.stringValue })
        return (calls, media)
    }

    @Test func threeTenantsRunAtOnceAndABrokenOneStopsNoOther() async throws {
        let sim = try await LiveSimulator.start { $0.accounts = 3; $0.days = 2; $0.futureDays = 0 }
        let tenants = try await Tenants.create(sim, count: 3, broken: [1])
        let result = try await runRinglog(["sync", "--root", tenants.root, "--all", "--secrets-dir", tenants.secrets])
        // The worst outcome is the run's status: the refused login (3) over two successes.
        #expect(result.status == 3, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardError.contains("tenant \(tenants.ids[1])"), "\(result.standardError)")
        for index in [0, 2] {
            let expected = truth(sim, account: index), got = try archived(tenants, index)
            #expect(!expected.calls.isEmpty && !expected.media.isEmpty)
            #expect(got.calls == expected.calls, "tenant \(index): \(got.calls.count) calls of \(expected.calls.count)")
            #expect(got.media == expected.media, "tenant \(index): \(got.media.count) media files of \(expected.media.count)")
            #expect(try tenants.runLines(index).last?["status"] == "success")
        }
        #expect(try tenants.runLines(1).last?["status"] == "failed")
        // Concurrent, by ringlog's own clock: every run started before any other ended.
        let runs = try (0..<3).map { try tenants.lastRun($0) }
        // (The refused tenant's run may end at once; every run starts before the working ones end.)
        let latestStart = runs.map(\.start).max()!, earliestEnd = [runs[0], runs[2]].map(\.end).min()!
        #expect(latestStart < earliestEnd, "the three runs overlap: \(runs)")
        // Each tenant's summary is one whole block: its header line is followed by its own lines.
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
        let headers = lines.indices.filter { lines[$0].hasPrefix("tenant ") }
        #expect(headers.count == 3, "\(result.standardOutput)")
        for header in headers {
            #expect(lines[header + 1].hasPrefix("  new calls "), "\(result.standardOutput)")
            #expect(lines[header + 2].hasPrefix("  new sms "), "\(result.standardOutput)")
            #expect(lines[header + 3].hasPrefix("  pending "), "\(result.standardOutput)")
        }
    }

    /// RingCentral counts rate limits per user and app: two tenants given one account's login spend one
    /// budget, so `sync --all` paces them with one governor. (With a governor each they sent twice the
    /// budget between them and met 429s, whose penalty every request inside restarts.)
    @Test func tenantsLoggingInAsOneUserShareItsBudget() async throws {
        // 60 s windows last 2 s: long enough that two paced clients overrun one budget.
        let sim = try await LiveSimulator.start { $0.timeScale = 30; $0.days = 1; $0.futureDays = 0; $0.callsPerDay = 30 }
        let tenants = try await Tenants.create(sim, count: 2, account: { _ in 0 })
        let result = try await runRinglog(["sync", "--root", tenants.root, "--all", "--parallel", "2", "--json", "--secrets-dir", tenants.secrets])
        #expect(result.status == 0, "\(result.standardError)")
        let stats = sim.stats
        #expect(stats["429s"]?.int == 0 && stats["requestsInPenalty"]?.int == 0, "\(stats.serialized())")
        let expected = truth(sim, account: 0)
        #expect(!expected.media.isEmpty)
        for index in 0..<2 {
            let got = try archived(tenants, index)
            #expect(got.calls == expected.calls && got.media == expected.media, "tenant \(index)")
        }
        // Each tenant's report counts its own requests: together they are every request the simulator answered.
        let reports = try #require(try JSON.parse(result.standardOutput).arrayValue)
        let heavy = reports.compactMap { $0["requests"]?["heavy"]?["requests"]?.int }
        #expect(heavy.count == 2 && heavy.allSatisfy { $0 > 0 } && heavy.reduce(0, +) == stats["groups"]?["Heavy"]?["requests"]?.int,
                "\(heavy) vs \(stats.serialized())")
        let first = try tenants.lastRun(0), second = try tenants.lastRun(1)
        #expect(first.start < second.end && second.start < first.end, "the two runs overlap: \(first) \(second)")
    }

    @Test func parallelOneRunsTenantsOneAfterAnother() async throws {
        let sim = try await LiveSimulator.start { $0.accounts = 2; $0.days = 1; $0.futureDays = 0 }
        let tenants = try await Tenants.create(sim, count: 2)
        let result = try await runRinglog(["sync", "--root", tenants.root, "--all", "--parallel", "1", "--json", "--secrets-dir", tenants.secrets])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try JSON.parse(result.standardOutput).arrayValue?.map { $0["tenantId"]?.stringValue } == tenants.ids.map { $0 },
                "one JSON report per tenant, in tenant order")
        let first = try tenants.lastRun(0), second = try tenants.lastRun(1)
        #expect(first.end <= second.start || second.end <= first.start, "one at a time: \(first) \(second)")
        let refused = try await runRinglog(["sync", "--root", tenants.root, "--all", "--parallel", "0"])
        #expect(refused.status == 64 && refused.standardError.contains("--parallel"), "\(refused.standardError)")
    }

    /// `--json` reports every selected tenant, also one refused before its run could start (a secrets
    /// file that does not parse, a lease another process holds): a failed entry naming why. Red while
    /// such a tenant was left out of the array (its error only on stderr).
    @Test func theJSONSummaryNamesATenantRefusedBeforeItsRun() async throws {
        let sim = try await LiveSimulator.start { $0.accounts = 3; $0.days = 1; $0.futureDays = 0 }
        let tenants = try await Tenants.create(sim, count: 3)
        try DurableFiles.writeAtomically(tenants.secrets + "/\(tenants.ids[1]).json", Array("{broken".utf8))
        chmod(tenants.secrets + "/\(tenants.ids[1]).json", 0o600)
        // Tenant 2's lease is held by another holder, still renewing.
        let held = try ArchiveRoot.open(tenants.root).store(for: tenants.ids[2]).openWriter(leaseSeconds: 600, runId: "other")
        defer { held.close() }
        let result = try await runRinglog(["sync", "--root", tenants.root, "--all", "--json", "--secrets-dir", tenants.secrets])
        #expect(result.status == 2, "configuration (the secrets file) is the worst outcome: \(result.standardError)")
        let reports = try #require(try JSON.parse(result.standardOutput).arrayValue, "\(result.standardOutput)")
        #expect(reports.map { $0["tenantId"]?.stringValue } == tenants.ids.map { $0 }, "one entry per tenant, in tenant order: \(result.standardOutput)")
        #expect(reports.first?["status"] == "success")
        #expect(reports.dropFirst().allSatisfy { $0["status"] == "failed" }, "\(result.standardOutput)")
        #expect(reports.count == 3 && (reports[1]["failure"]?.stringValue ?? "").contains("not valid JSON"), "\(result.standardOutput)")
        #expect(reports.count == 3 && (reports[2]["failure"]?.stringValue ?? "").contains("holds"), "\(result.standardOutput)")
    }

    /// SIGTERM during `--all` stops every running tenant, each checkpointed and logged as interrupted.
    @Test func aSignalStopsEveryRunningTenant() async throws {
        let sim = try await LiveSimulator.start { $0.accounts = 2; $0.timeScale = 8; $0.days = 3; $0.callsPerDay = 12; $0.futureDays = 0; $0.slowSeconds = 1 }
        sim.setFaults(#"{"slowShare": 0.3}"#)  // runs of seconds, whatever the load: both still running when signalled
        let tenants = try await Tenants.create(sim, count: 2)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveSimulator.executablePath("ringlog"))
        process.arguments = ["sync", "--root", tenants.root, "--all", "--secrets-dir", tenants.secrets]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RC_") }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Both tenants hold their lease and have a sidecar on disk: both are mid-run.
        let ready = try await blocking { () -> Bool in
            for _ in 0..<600 {
                let started = tenants.ids.allSatisfy { id in
                    let directory = tenants.root + "/" + id
                    return (try? FileManager.default.subpathsOfDirectory(atPath: directory))?.contains { $0.hasSuffix(".json") && $0.contains("_call.") } == true
                }
                if started { return true }
                usleep(50_000)
            }
            return false
        }
        #expect(ready, "both tenants started")
        kill(process.processIdentifier, SIGTERM)
        let stderr = try await blocking { () -> String in
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text
        }
        #expect(process.terminationStatus == 143, "\(stderr)")
        for index in 0..<2 {
            let last = try tenants.runLines(index).last
            #expect(last?["status"] == "interrupted", "tenant \(index): \(last?.serialized() ?? "no run line")")
            #expect(DurableFiles.exists(tenants.root + "/" + tenants.ids[index] + "/.ringlog/state.json"), "tenant \(index) checkpointed")
        }
    }
}
