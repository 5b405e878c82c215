import Foundation
import ArchiveStore
import CurlHTTP
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Testing

/// An archive root with one tenant pointed at a simulator, driven through the real `ringlog` binary.
struct ArchiveFixture {
    let sim: LiveSimulator
    let scratch: ScratchDirectory
    let tenantId: String
    var root: String { scratch.path + "/archive" }
    var tenantDirectory: String { root + "/" + tenantId }

    static func create(_ sim: LiveSimulator, since: String? = nil) async throws -> ArchiveFixture {
        let scratch = ScratchDirectory()
        let root = scratch.path + "/archive"
        let initialized = try await runRinglog(["init", root])
        #expect(initialized.status == 0, "\(initialized.standardError)")
        var arguments = ["tenant", "add", "Test Tenant", "--root", root, "--server", sim.baseURL]
        if let since { arguments += ["--since", since] }
        let added = try await runRinglog(arguments)
        #expect(added.status == 0, "\(added.standardError)")
        return ArchiveFixture(sim: sim, scratch: scratch, tenantId: added.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private init(sim: LiveSimulator, scratch: ScratchDirectory, tenantId: String) {
        self.sim = sim
        self.scratch = scratch
        self.tenantId = tenantId
    }

    func sync(_ extra: [String] = [], account: Int = 0, environment: [String: String] = [:]) async throws -> RinglogResult {
        try await runRinglog(["sync", "--root", root, "--json"] + extra,
                             environment: sim.environment(account: account).merging(environment) { _, given in given })
    }

    /// The run's JSON report (the CLI prints an array of one per tenant).
    func report(_ result: RinglogResult) throws -> JSON {
        try #require(try JSON.parse(result.standardOutput)[0], "no JSON report in: \(result.standardOutput) \(result.standardError)")
    }

    /// Every line of every manifest shard, parsed. A complete line that does not parse, or a shard that
    /// cannot be read, is a test failure, never silently dropped (a checker that skips what it cannot
    /// read would pass an archive whose manifest is garbage). Only a final fragment without its
    /// newline is skipped, as layout-spec §9.4 tells every reader to.
    var manifestLines: [JSON] {
        rawManifestLines().compactMap { shard, line in
            do { return try JSON.parse(line) } catch {
                Issue.record("manifest/\(shard): a line does not parse (\(error)): \(line.prefix(200))")
                return nil
            }
        }
    }

    var manifestLineSet: Set<String> { Set(rawManifestLines().map(\.line)) }

    /// (shard, line) for every complete line of every shard.
    private func rawManifestLines() -> [(shard: String, line: String)] {
        let directory = tenantDirectory + "/manifest"
        return DurableFiles.list(directory).filter { $0.hasSuffix(".jsonl") }.flatMap { name -> [(shard: String, line: String)] in
            let bytes: [UInt8]
            do { bytes = try DurableFiles.read(directory + "/" + name) } catch {
                Issue.record("manifest/\(name) cannot be read: \(error)")
                return []
            }
            var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.removeLast()  // after the last newline: empty, or a torn append that readers skip
            return lines.map { (name, $0) }
        }
    }

    /// The simulator's ground truth. A failed or malformed truth request throws: treating it as an
    /// empty truth would let an empty archive "match".
    func truth() throws -> [JSON] {
        let response = try CurlHTTPClient().perform(HTTPRequest(method: .get, url: sim.baseURL + "/__sim/truth", totalTimeoutSeconds: 30))
        guard response.status == 200 else { throw FixtureError("GET /__sim/truth answered HTTP \(response.status)") }
        guard let items = try JSON.parse(response.body)["items"]?.arrayValue else {
            throw FixtureError("GET /__sim/truth has no items: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        return items
    }

    /// The simulator's recording schedule (every recording, with when it appears and when it is ready),
    /// and the simulator's current instant. Throws like `truth()`.
    func recordingSchedule() throws -> (now: Timestamp, items: [JSON]) {
        let response = try CurlHTTPClient().perform(HTTPRequest(method: .get, url: sim.baseURL + "/__sim/recordings", totalTimeoutSeconds: 30))
        guard response.status == 200 else { throw FixtureError("GET /__sim/recordings answered HTTP \(response.status)") }
        let body = try JSON.parse(response.body)
        guard let items = body["items"]?.arrayValue, let now = body["now"]?.stringValue.flatMap(Timestamp.init(iso8601:)) else {
            throw FixtureError("GET /__sim/recordings is malformed: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        return (now, items)
    }

    /// The last line of the tenant's run log.
    func lastRunLine() throws -> JSON {
        let text = String(decoding: try DurableFiles.read(tenantDirectory + "/logs/runs.jsonl"), as: UTF8.self)
        return try JSON.parse(String(try #require(text.split(separator: "\n").last, "no run-log line")))
    }

    /// The recording ids in the pending queue (not the quarantine).
    func pendingRecordingIds() throws -> Set<String> {
        let queue = try PendingQueue.load(tenantDirectory + "/.ringlog/pending.json")
        return Set(queue.pending.filter { $0.kind == .recording }.map(\.mediaId))
    }

    /// The exact outcome a sync against the simulator must have: success, unless recordings are
    /// pending, and then partial for exactly that reason. The pending recordings must be exactly the
    /// visible recordings the archive lacks, each of them one the simulator still answers 404 for
    /// (`/__sim/recordings`: appeared, not ready), or one that was already pending before this run
    /// and whose backoff has not run out (`waitingSince`). No item errors, no quarantine.
    func expectExactStatus(_ result: RinglogResult, waitingSince previouslyPending: Set<String> = [],
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        // The run log's last line is the run's report (also for runs without --json).
        let report = try lastRunLine()
        if let printed = try? JSON.parse(result.standardOutput)[0] {
            #expect(printed["runId"] == report["runId"], "the printed report is the last run's", sourceLocation: sourceLocation)
        }
        let schedule = try recordingSchedule()
        func instant(_ item: JSON, _ key: String) -> Timestamp? { item[key]?.stringValue.flatMap(Timestamp.init(iso8601:)) }
        let archivedCalls = Set(manifestLines.filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue })
        let archivedRecordings = Set(manifestLines.filter { $0["kind"] == "recording" }.compactMap { $0["recordingId"]?.stringValue })
        let visible = schedule.items.filter { item in
            guard let appears = instant(item, "appearsAt") else { return false }
            return appears <= schedule.now && archivedCalls.contains(item["callId"]?.stringValue ?? "")
        }
        let notReady = Set(visible.filter { (instant($0, "readyAt") ?? schedule.now) > schedule.now }.compactMap { $0["recordingId"]?.stringValue })
        let missing = Set(visible.compactMap { $0["recordingId"]?.stringValue }).subtracting(archivedRecordings)
        let pending = try pendingRecordingIds()
        #expect(pending == missing, "pending \(pending.sorted()) != visible recordings not archived \(missing.sorted())",
                sourceLocation: sourceLocation)
        let unexplained = pending.subtracting(notReady).subtracting(previouslyPending)
        #expect(unexplained.isEmpty, "pending though ready and not waiting out a backoff: \(unexplained.sorted())", sourceLocation: sourceLocation)
        #expect(report["counts"]?["itemErrors"]?.int == 0, "\(report["errors"] ?? .null)", sourceLocation: sourceLocation)
        #expect(report["quarantined"]?.int == 0, sourceLocation: sourceLocation)
        #expect(report["pending"]?.int == pending.count, sourceLocation: sourceLocation)
        let expected = pending.isEmpty ? 0 : 4
        #expect(result.status == Int32(expected), "exit \(result.status), expected \(expected) (pending: \(pending.sorted())): \(result.standardError)",
                sourceLocation: sourceLocation)
        #expect(report["status"]?.stringValue == (pending.isEmpty ? "success" : "partial"), sourceLocation: sourceLocation)
    }

    /// Every regular file under the archive root with its modification time, size and inode.
    func snapshot() -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var info = stat()
            guard lstat(root + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            result[relative] = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_size) \(info.st_ino)"
        }
        return result
    }

    func sidecar(_ relative: String) throws -> JSON { try JSON.parse(try DurableFiles.read(tenantDirectory + "/" + relative)) }

    /// Every item of the simulator's ground truth is archived exactly once, with the same sha256,
    /// and nothing else is: the archive and the truth agree.
    func expectMatchesTruth(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let truth = try self.truth()
        #expect(truth.contains { $0["kind"] == "call" }, "the truth holds calls", sourceLocation: sourceLocation)
        let lines = manifestLines
        var callPaths: [String: Set<String>] = [:]
        for line in lines where line["kind"] == "call" {
            callPaths[line["callId"]?.stringValue ?? "", default: []].insert(line["path"]?.stringValue ?? "")
        }
        let truthCalls = Set(truth.filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue })
        let missing = truthCalls.subtracting(callPaths.keys).count, unexpected = Set(callPaths.keys).subtracting(truthCalls).count
        #expect(Set(callPaths.keys) == truthCalls, "calls: \(missing) missing, \(unexpected) unexpected", sourceLocation: sourceLocation)
        #expect(callPaths.values.allSatisfy { $0.count == 1 }, "a call has more than one sidecar", sourceLocation: sourceLocation)
        for (callId, paths) in callPaths {
            let sidecar = try self.sidecar(try #require(paths.first))
            #expect(sidecar["record"]?["id"]?.stringValue == callId, sourceLocation: sourceLocation)
        }
        func media(_ kind: String, idKey: String, truthKey: String) throws {
            let archived = lines.filter { $0["kind"]?.stringValue == kind }
            let byId = Dictionary(grouping: archived) { $0[idKey]?.stringValue ?? "" }
            let expected = truth.filter { $0["kind"]?.stringValue == kind }
            #expect(byId.count == expected.count, "\(kind): \(byId.count) archived, \(expected.count) in truth", sourceLocation: sourceLocation)
            for item in expected {
                let id = item[truthKey]?.stringValue ?? ""
                let entries = byId[id] ?? []
                #expect(entries.count == 1, "\(kind) \(id) archived \(entries.count) times", sourceLocation: sourceLocation)
                guard let entry = entries.first, let path = entry["path"]?.stringValue else { continue }
                #expect(entry["sha256"] == item["sha256"], "\(kind) \(id) sha256", sourceLocation: sourceLocation)
                let bytes = try DurableFiles.read(tenantDirectory + "/" + path)
                #expect(SHA256Hasher.hex(of: bytes) == item["sha256"]?.stringValue, "\(path) on disk", sourceLocation: sourceLocation)
            }
        }
        try media("recording", idKey: "recordingId", truthKey: "recordingId")
        try media("voicemail", idKey: "attachmentId", truthKey: "attachmentId")
        try media("transcription", idKey: "attachmentId", truthKey: "attachmentId")
    }

    /// Paths of every file under the tenant directory whose name marks it temporary.
    /// Starts `ringlog sync` as a child and returns once it holds the lease and has archived something,
    /// so that a test can signal or freeze a run that is really mid-sync. Polled on a thread of its own:
    /// on a loaded machine the cooperative pool may not run a sleeping task again before the sync is over.
    func startSyncMidRun(environment extra: [String: String] = [:]) async throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveSimulator.executablePath("ringlog"))
        process.arguments = ["sync", "--root", root]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RC_") }
        environment["RINGLOG_SECRETS_DIR"] = "/nonexistent-ringlog-secrets"
        for (key, value) in sim.environment().merging(extra, uniquingKeysWith: { $1 }) { environment[key] = value }
        process.environment = environment
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let pid = process.processIdentifier
        let fixture = self
        try await blocking {
            let deadline = monotonicSeconds() + 60
            while monotonicSeconds() < deadline && !(fixture.liveLeaseHolder?.hasSuffix(":\(pid)") == true && !fixture.manifestLines.isEmpty) {
                usleep(20_000)
            }
        }
        return (process, errors)
    }

    /// The holder named by the tenant's current lease file, unless it was released.
    var liveLeaseHolder: String? {
        let directory = tenantDirectory + "/.ringlog"
        guard let name = DurableFiles.list(directory).filter({ $0.hasPrefix(Lease.filePrefix) }).last,
            let json = try? JSON.parse(DurableFiles.read(directory + "/" + name)), json["released"] == nil
        else { return nil }
        return json["holder"]?.stringValue
    }

    var temporaryFiles: [String] { snapshot().keys.filter { $0.split(separator: "/").last?.hasPrefix(ArchiveNames.temporaryPrefix) == true } }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
