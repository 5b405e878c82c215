import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `Tests/Fixtures/hostile_proxy.py` in front of the simulator: it damages what RingCentral would send.
/// It connects to the simulator's loopback URL (python cannot resolve `*.localhost`) and keeps API and
/// media on two hosts of its own (`platform.proxy.localhost`, `media.proxy.localhost`), so downloads
/// through it stay cross-host like the simulator's.
final class HostileProxy: Sendable {
    let url: String
    let rulesPath: String
    private let processIdentifier: Int32

    convenience init(upstream sim: LiveSimulator, rules: String = "{}") throws {
        try self.init(upstream: sim.loopbackURL, platformURL: sim.baseURL, mediaURL: sim.mediaURL, rules: rules)
    }

    init(upstream: String, platformURL: String, mediaURL: String, rules: String = "{}") throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        rulesPath = NSTemporaryDirectory() + "hostile-rules-\(UInt32.random(in: 0...UInt32.max)).json"
        try rules.write(toFile: rulesPath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", directory.appendingPathComponent("hostile_proxy.py").path, "--upstream", upstream,
                             "--platform-url", platformURL, "--media-url", mediaURL, "--rules", rulesPath]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line: [UInt8] = []
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
        guard let url = try? JSON.parse(line)["url"]?.stringValue else {
            kill(process.processIdentifier, SIGKILL)
            throw ConfigurationError("hostile proxy printed no URL: \(String(decoding: line, as: UTF8.self))")
        }
        self.url = url
        processIdentifier = process.processIdentifier
    }

    func setRules(_ rules: String) throws { try rules.write(toFile: rulesPath, atomically: true, encoding: .utf8) }

    deinit {
        kill(processIdentifier, SIGKILL)
        var status: Int32 = 0
        waitpid(processIdentifier, &status, 0)
        unlink(rulesPath)
    }
}

/// An archive whose tenant talks to `server` (the proxy), through the real binary.
struct ProxiedArchive {
    let scratch = ScratchDirectory()
    let tenantId: String
    var environment: [String: String]
    var root: String { scratch.path + "/archive" }
    var tenantDirectory: String { root + "/" + tenantId }

    init(sim: LiveSimulator, server: String, since: String? = nil) async throws {
        let root = scratch.path + "/archive"
        _ = try await runRinglog(["init", root])
        let added = try await runRinglog(["tenant", "add", "Hostile", "--root", root, "--server", server] + (since.map { ["--since", $0] } ?? []))
        tenantId = added.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        var environment = sim.environment()
        environment["RC_SERVER_URL"] = server
        self.environment = environment
    }

    func sync(_ extra: [String] = []) async throws -> RinglogResult {
        try await runRinglog(["sync", "--root", root] + extra, environment: environment)
    }

    func manifest() throws -> [JSON] {
        var lines: [JSON] = []
        for name in DurableFiles.list(tenantDirectory + "/manifest") where name.hasSuffix(".jsonl") {
            try DurableFiles.forEachLine(tenantDirectory + "/manifest/" + name) { lines.append(try JSON.parse($0)) }
        }
        return lines
    }

    func errorLines() throws -> [JSON] {
        var lines: [JSON] = []
        try DurableFiles.forEachLine(tenantDirectory + "/logs/errors.jsonl") { lines.append(try JSON.parse($0)) }
        return lines
    }
}

@Suite struct HostileServerTests {
    /// One record with a garbage `startTime`, one without it, one whose `extension.id` is 1.5: each fails
    /// alone (errors.jsonl names its id and the field, its raw JSON is kept under `_unfiled/`), every
    /// other call is archived, the stream advances, the run is partial.
    @Test func aMalformedRecordFailsOnlyItselfAndIsKeptVerbatim() async throws {
        let sim = try await LiveSimulator.start { $0.days = 2; $0.futureDays = 0 }
        let calls = sim.truth.filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue }
        let bad = Array(calls.prefix(4))
        let rules = """
            {"malform": {"\(bad[0])": {"startTime": "garbage"}, "\(bad[1])": {"startTime": null},
                         "\(bad[2])": {"extension": {"id": 1.5, "uri": "https://platform.example/x"}},
                         "\(bad[3])": {"id": "../../etc"}}}
            """
        let proxy = try await blocking { try HostileProxy(upstream: sim, rules: rules) }
        let archive = try await ProxiedArchive(sim: sim, server: proxy.url)
        let first = try await archive.sync()
        #expect(first.status == 4, "partial: \(first.standardError)")
        let archived = Set(try archive.manifest().filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue })
        #expect(archived == Set(calls).subtracting(bad), "every good call beside the bad ones is archived")
        let errors = try archive.errorLines()
        // One that decodes but cannot be named (its id): refused by the naming rules, and still kept.
        #expect(errors.contains { $0["error"]?.stringValue?.contains("\"../../etc\"") == true && $0["error"]?.stringValue?.contains("call id") == true })
        var unfiled = 0
        for day in DurableFiles.list(archive.tenantDirectory + "/_unfiled") { unfiled += DurableFiles.list(archive.tenantDirectory + "/_unfiled/" + day).count }
        #expect(unfiled == 4, "every record that could not be filed is kept: \(unfiled)")
        for (id, field) in zip(bad.prefix(3), ["startTime", "startTime", "extension"]) {
            let line = errors.first { $0["item"]?["callId"]?.stringValue == id }
            #expect(line?["error"]?.stringValue?.contains(field) == true, "\(id): \(line?.serialized() ?? "no error line")")
            let kept = try #require(line?["item"]?["unfiled"]?.stringValue, "no _unfiled file named for \(id)")
            let unfiled = try JSON.parse(DurableFiles.read(archive.tenantDirectory + "/" + kept))
            #expect(unfiled["format"] == "ringlog-unfiled" && unfiled["record"]?["id"]?.stringValue == id)
            #expect(unfiled["reason"]?.stringValue?.contains(field) == true)
        }
        let state = try JSON.parse(DurableFiles.read(archive.tenantDirectory + "/.ringlog/state.json"))
        #expect(state["callLog"]?["backfill"] == .null && state["callLog"]?["syncToken"]?.stringValue != nil, "the stream advanced")
        // The next run goes on from there: nothing repeats, nothing new fails.
        let second = try await archive.sync()
        #expect([0, 4].contains(second.status), "\(second.standardError)")
        #expect(try archive.errorLines().count == errors.count)
    }

    @Test func nothingThatStartedBeforeSinceIsWritten() async throws {
        let sim = try await LiveSimulator.start { $0.days = 4; $0.callsPerDay = 20; $0.futureDays = 0 }
        let since = Timestamp(iso8601: "2026-11-18T00:00:00Z")!
        let proxy = try await blocking { try HostileProxy(upstream: sim) }
        let archive = try await ProxiedArchive(sim: sim, server: proxy.url, since: "2026-11-18T00:00:00Z")
        let result = try await archive.sync()
        #expect([0, 4].contains(result.status), "\(result.standardError)")
        let lines = try archive.manifest()
        #expect(!lines.isEmpty)
        let early = lines.filter { Timestamp(iso8601: $0["startTime"]?.stringValue ?? "")! < since }
        #expect(early.isEmpty, "\(early.count) items from before --since: \(early.prefix(3).map { $0.serialized() })")
        let truthAfter = sim.truth.filter { $0["kind"] == "call" && Timestamp(iso8601: $0["startTime"]?.stringValue ?? "")! >= since }
        #expect(lines.filter { $0["kind"] == "call" }.count == truthAfter.count, "and everything after it is")
        for folder in DurableFiles.list(archive.tenantDirectory) {
            for day in DurableFiles.list(archive.tenantDirectory + "/" + folder) where ArchiveReader.isDayFolder(day) {
                #expect(day >= "2026-11-18", "\(folder)/\(day)")
            }
        }
    }

    /// Media trickling at 2 bytes/s is abandoned once below the limit for the stall time (here 2 s):
    /// it goes to pending with the reason, and the run goes on.
    @Test func aStalledDownloadGoesToPendingAndTheRunGoesOn() async throws {
        let sim = try await LiveSimulator.start { $0.days = 2; $0.futureDays = 0 }
        let recordings = sim.truth.filter { $0["kind"] == "recording" }.compactMap { $0["recordingId"]?.stringValue }
        let slow = try #require(recordings.first)
        // Matches the content request and the media host's redirect target (/__media/recording/N/ID) alike.
        let rules = #"{"trickle": {"match": "/\#(slow)", "bytesPerSecond": 2}}"#
        let proxy = try await blocking { try HostileProxy(upstream: sim, rules: rules) }
        var archive = try await ProxiedArchive(sim: sim, server: proxy.url, since: "2026-11-18T00:00:00Z")
        archive.environment["RINGLOG_STALL_SECONDS"] = "2"
        let started = monotonicSeconds()
        let result = try await archive.sync()
        let took = monotonicSeconds() - started
        #expect(result.status == 4, "\(result.standardError)")
        // Not a performance limit: at 2 bytes/s the recording alone would take hours, so a run that ends
        // at all (and says "stalled" below) was not held by it; the bound only keeps a broken stall
        // detector from hanging the suite, with room for a loaded 2-core machine (76 s was seen).
        #expect(took < 600, "the stalled transfer did not hold the run (\(took) s)")
        let pending = try JSON.parse(DurableFiles.read(archive.tenantDirectory + "/.ringlog/pending.json"))
        let entry = pending["pending"]?.arrayValue?.first { $0["mediaId"]?.stringValue == slow }
        #expect(entry?["lastError"]?.stringValue?.contains("stalled") == true, "\(pending.serialized())")
        let archived = Set(try archive.manifest().filter { $0["kind"] == "recording" }.compactMap { $0["recordingId"]?.stringValue })
        #expect(!archived.contains(slow) && archived.count >= 1, "the others are archived")
    }
}

/// A web server that is not RingCentral (Python's, answering POST with 501): a configuration error
/// that says so, not bad credentials and not five retries of a "server error".
@Suite struct WrongServerTests {
    @Test func aServerThatIsNotRingCentralIsNamedAsSuch() async throws {
        let scratch = ScratchDirectory()
        let (pid, url) = try await blocking { () throws -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-u", "-c", """
                import http.server, signal, sys
                signal.pthread_sigmask(signal.SIG_SETMASK, set())
                s = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
                print(s.server_address[1], flush=True); s.serve_forever()
                """]
            process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line: [UInt8] = []
            while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
            return (process.processIdentifier, "http://127.0.0.1:" + String(decoding: line, as: UTF8.self))
        }
        defer { kill(pid, SIGKILL) }
        let root = scratch.path + "/archive"
        _ = try await runRinglog(["init", root])
        _ = try await runRinglog(["tenant", "add", "W", "--root", root, "--server", url])
        let result = try await runRinglog(["sync", "--root", root], environment: ["RC_APP_CLIENT_ID": "x", "RC_APP_CLIENT_SECRET": "y", "RC_USER_JWT": "z"])
        #expect(result.status == 2, "\(result.standardError)")
        #expect(result.standardError.contains("does not look like a RingCentral"), "\(result.standardError)")
    }
}
