import ArchiveStore
import ArchiveSync
import CurlHTTP
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// RingCentral's own published payloads (`../shared/reference/examples`, sources in SOURCES.md there),
/// served verbatim by `Tests/Fixtures/rc_replay.py` over https under RingCentral's real host names
/// (`platform.ringcentral.com`, `media.ringcentral.com:443`), reached through curl's connect-to.
/// This is the test that would have shown that ringlog archived no media against production.
@Suite struct ReplayTests {
    static var examples: String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared/reference/examples").path
    }

    @Test func realPayloadsArchiveEveryCallRecordingAndVoicemail() throws {
        let server = try FixtureProcess(script: "rc_replay.py", arguments: [Self.examples])
        let port = server.startup["port"]?.int64Value ?? 0
        var configuration = CurlConfiguration()
        configuration.caBundlePath = server["ca"]
        configuration.connectTo = ["platform.ringcentral.com:443:127.0.0.1:\(port)", "media.ringcentral.com:443:127.0.0.1:\(port)"]
        var retry = RetryPolicy()
        retry.maximumAttempts = 2
        let client = RingCentralClient(credentials: RingCentralCredentials(serverURL: "https://platform.ringcentral.com", clientId: "replay-id",
                                                                         clientSecret: "replay-secret", jwt: "replay.jwt.sig"),
                                       http: CurlHTTPClient(configuration: configuration), retry: retry)
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "replay", server: "https://platform.ringcentral.com", since: Timestamp(iso8601: "2010-01-01T00:00:00Z"))
        var options = SyncOptions()
        options.windowDays = 4000  // the samples span 2013–2023: one list window
        let report = try SyncEngine(root: root, tenant: tenant, source: client, options: options).run()
        #expect(report.failure == nil, "\(report.failure ?? "")")
        #expect(report.errors.isEmpty, "\(report.errors)")

        // Every call record of the samples: three from the FSync sample, three from the list samples.
        let calls = ["IVWtSyis720zMEA", "IVWtTIvyZ8q9MGA", "IVWtT1J9WIXRMSQ", "VgLcd1KWffJVzUA", "ASaoSC9FIMaOF24", "ASaxDDkSZ5s42MA"]
        let directory = root.tenantDirectory(tenant.tenantId)
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String { files.append(path) }
        for call in calls {
            let name = "_call." + call.lowercased()
            #expect(files.contains { $0.contains(name) }, "call \(call) has a sidecar: \(files)")
        }
        // Both distinct recordings (one of them referenced by two records), from media.ringcentral.com:443.
        #expect(files.filter { $0.hasSuffix("_1662272004.mp3") }.count == 1, "\(files)")
        #expect(files.filter { $0.hasSuffix("_1659910004.mp3") }.count == 1, "\(files)")
        // The Detailed record has no top-level extension: its legs' extension decides the folder.
        let detailed = try #require(files.first { $0.contains("_call.vglcd1kwffjvzua") })
        #expect(!detailed.hasPrefix("_account/"), "the legs' extension files it: \(detailed)")
        // The voicemail (message-store sample) with its audio, on mailbox 101.
        #expect(files.contains { $0.hasPrefix("101/2018-09-18/") && $0.hasSuffix("_vm.402406985008.wav") }, "\(files)")
        #expect(report.counts["recordings"] == 2 && report.counts["voicemails"] == 1, "\(report.counts)")

        // The ISync sample revises one of the FSync records: revision 2, revision 1 kept.
        let revised = try #require(files.first { $0.contains("_call.ivwtt1j9wixrmsq") })
        let sidecar = try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + revised))))
        #expect(sidecar["archive"]?["revision"]?.int64Value == 2)

        // Every request went to RingCentral's hosts, media with the bearer token to media.ringcentral.com.
        let served = try String(contentsOfFile: server["served"], encoding: .utf8).split(separator: "\n").compactMap { try? JSON.parse(Array($0.utf8)) }
        let media = served.filter { $0["path"]?.stringValue?.contains("/content") == true }
        #expect(media.contains { $0["host"]?.stringValue == "media.ringcentral.com:443" || $0["host"]?.stringValue == "media.ringcentral.com" })
        #expect(media.allSatisfy { $0["authorized"] == .bool(true) })
        withExtendedLifetime(scratch) {}
    }
}

/// RingCentral's 2016 sandbox payload, unsnipped (ringcentral-api-docs, details.md at 8df5a384; see
/// Tests/Fixtures/rc_replay_devtest.py): sandbox hosts with `:443` written out, no top-level `extension`,
/// legs without `master`, the recording repeated on every leg. Every call and every recording is archived,
/// each recording once, from media.devtest.ringcentral.com with the bearer.
@Suite struct SandboxReplayTests {
    @Test func theSandboxDetailedSampleArchivesEveryCallAndRecording() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        let server = try FixtureProcess(script: "rc_replay_devtest.py",
                                        arguments: [fixtures.appendingPathComponent("payloads/call-log-detailed-devtest-2016.json").path])
        let port = server.startup["port"]?.int64Value ?? 0
        var configuration = CurlConfiguration()
        configuration.caBundlePath = server["ca"]
        configuration.connectTo = ["platform.devtest.ringcentral.com:443:127.0.0.1:\(port)", "media.devtest.ringcentral.com:443:127.0.0.1:\(port)"]
        var retry = RetryPolicy()
        retry.maximumAttempts = 2
        let serverURL = "https://platform.devtest.ringcentral.com"
        let client = RingCentralClient(credentials: RingCentralCredentials(serverURL: serverURL, clientId: "id", clientSecret: "secret", jwt: "a.b.c"),
                                       http: CurlHTTPClient(configuration: configuration), retry: retry)
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "sandbox", server: serverURL, since: Timestamp(iso8601: "2016-01-01T00:00:00Z"))
        var options = SyncOptions()
        options.windowDays = 4000
        let report = try SyncEngine(root: root, tenant: tenant, source: client, options: options).run()
        #expect(report.failure == nil && report.errors.isEmpty, "\(report.failure ?? "") \(report.errors)")
        let files = (FileManager.default.enumerator(atPath: root.tenantDirectory(tenant.tenantId))?.allObjects as? [String]) ?? []
        for call in ["asaxddksz5s42ma", "asaosc9fimaof24", "asaolzriqjlafyu"] {
            #expect(files.contains { $0.hasPrefix("101/2016-06-06/") && $0.contains("_call.\(call)") }, "the legs' extension files call \(call): \(files)")
        }
        for recording in ["1662272004", "1659910004", "1659903004"] {
            #expect(files.filter { $0.hasSuffix("_\(recording).mp3") }.count == 1, "recording \(recording) once: \(files)")
        }
        #expect(report.counts["recordings"] == 3 && report.pending == 0, "\(report.counts)")
        let served = try String(contentsOfFile: server["served"], encoding: .utf8).split(separator: "\n").compactMap { try? JSON.parse(Array($0.utf8)) }
        let media = served.filter { $0["path"]?.stringValue?.contains("/content") == true }
        #expect(media.count == 3 && media.allSatisfy { $0["authorized"] == .bool(true) && $0["host"]?.stringValue?.hasPrefix("media.devtest.ringcentral.com") == true },
                "\(media)")
        withExtendedLifetime(scratch) {}
    }
}

