import ArchivePasses
import ArchiveStore
import ArchiveSync
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// Sync consults the exclusion rules and the tombstones before it writes anything.
@Suite struct GovernanceSyncTests {
    static let secret = "+14155550123"

    func makeTenant() throws -> (ScratchDirectory, ArchiveRoot, TenantMarker, String) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        let secrets = scratch.path + "/secrets"
        return (scratch, root, tenant, secrets)
    }

    func options(_ secrets: String) -> SyncOptions {
        var options = SyncOptions()
        options.defaultHistoryDays = 60
        options.secretsDirectory = secrets
        return options
    }

    static func message(_ id: String, from: String, created: String = "2026-11-19T16:00:00.000Z") -> JSON {
        ["id": .number(id), "type": "VoiceMail", "creationTime": .string(created), "from": ["phoneNumber": .string(from)],
         "attachments": [["id": .number(id + "1"), "uri": .string("https://media.example/vm/\(id)"), "type": "AudioRecording", "contentType": "audio/mpeg"]]]
    }

    /// Every byte under `directory`, as text.
    static func everything(_ directory: String) -> [(String, String)] {
        var result: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            guard !DurableFiles.isDirectory(directory + "/" + relative), let bytes = try? DurableFiles.read(directory + "/" + relative) else { continue }
            result.append((relative, String(decoding: bytes, as: UTF8.self)))
        }
        return result
    }

    @Test func anExcludedCallOrVoicemailNeverReachesTheDisk() throws {
        let (scratch, root, tenant, secrets) = try makeTenant()
        let store = root.store(for: tenant.tenantId)
        let key = try ExclusionKeyFile.loadOrCreate(ExclusionKeyFile.path(tenantId: tenant.tenantId, secretsDirectory: secrets))
        _ = try Exclusions.add(store: store, target: .number("(415) 555-0123"), country: nil, label: "helpline", reason: "works council", key: key,
                               context: PassContext(actor: "t@h"))
        let calls = [
            callRecord(id: "Plain", recordingId: "1662272001", extra: [("from", ["phoneNumber": "+16505550000"])]),
            callRecord(id: "Secret", start: "2026-11-19T16:00:00.000Z", recordingId: "1662272002", extra: [("from", ["phoneNumber": "14155550123"])]),
            callRecord(id: "InALeg", start: "2026-11-19T17:00:00.000Z", extra: [("legs", [["to": ["phoneNumber": "415.555.0123"]]])]),
            callRecord(id: "BadId!", start: "2026-11-19T18:00:00.000Z", extra: [("to", ["phoneNumber": .string(Self.secret)])]),  // would be _unfiled
        ]
        let source = ScriptedSource(calls: calls, messages: [Self.message("9001", from: "+1 415 555 0123"), Self.message("9002", from: "+16505550000")])
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: options(secrets)).run()
        #expect(report.counts["excluded"] == 4, "\(report.counts)")
        #expect(report.counts["calls"] == 1)
        let files = Self.everything(scratch.path + "/archive")
        #expect(files.contains { $0.0.contains("call.plain") } && files.contains { $0.0.contains("vm.9002") })
        #expect(!files.contains { $0.0.contains("call.secret") || $0.0.contains("call.inaleg") || $0.0.contains("vm.9001") || $0.0.contains("_unfiled") })
        #expect(!files.contains { $0.0.contains("1662272002") }, "no recording of an excluded call")
        for (path, text) in files {
            #expect(!text.contains("4155550123") && !text.contains("415.555.0123") && !text.contains("Secret") && !text.contains("9001"),
                    "\(path) mentions the excluded call")
        }
        let runLine = try #require(files.first { $0.0.hasSuffix("runs.jsonl") }?.1)
        #expect(runLine.contains("\"excluded\":4"))
    }

    @Test func rulesThatCannotBeReadStopTheRunBeforeAnythingIsWritten() throws {
        let (scratch, root, tenant, secrets) = try makeTenant()
        let store = root.store(for: tenant.tenantId)
        let key = try ExclusionKeyFile.loadOrCreate(ExclusionKeyFile.path(tenantId: tenant.tenantId, secretsDirectory: secrets))
        _ = try Exclusions.add(store: store, target: .number("+14155550123"), country: nil, label: nil, reason: "x", key: key, context: PassContext(actor: "t@h"))
        let before = Self.everything(scratch.path + "/archive").map(\.0).sorted()
        let source = ScriptedSource(calls: [callRecord(id: "Secret", extra: [("from", ["phoneNumber": .string(Self.secret)])])])
        // The key is missing: refused (exit 2), nothing written.
        #expect(throws: ConfigurationError.self) { try SyncEngine(root: root, tenant: tenant, source: source, options: options(scratch.path + "/elsewhere")).run() }
        // The rules file is damaged: refused, nothing written.
        let rules = try DurableFiles.read(store.exclusionsPath)
        try DurableFiles.writeAtomically(store.exclusionsPath, rules + Array("garbage\n".utf8))
        #expect(throws: ControlFileError.self) { try SyncEngine(root: root, tenant: tenant, source: source, options: options(secrets)).run() }
        try DurableFiles.writeAtomically(store.exclusionsPath, rules)
        #expect(Self.everything(scratch.path + "/archive").map(\.0).sorted() == before, "a refused run writes nothing")
        #expect(!DurableFiles.exists(store.path("logs/runs.jsonl")) && DurableFiles.list(store.path("101")).isEmpty)
        // A key readable by others is refused too.
        let keyPath = ExclusionKeyFile.path(tenantId: tenant.tenantId, secretsDirectory: secrets)
        chmod(keyPath, 0o644)
        #expect(throws: ConfigurationError.self) { try ExclusionKeyFile.load(keyPath) }
        #expect(throws: ConfigurationError.self) { try SyncEngine(root: root, tenant: tenant, source: source, options: options(secrets)).run() }
    }

    @Test func purgedItemsAreNotWrittenAgainEvenAfterTheStateIsLost() throws {
        let (scratch, root, tenant, secrets) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let store = root.store(for: tenant.tenantId)
        let calls = [
            callRecord(id: "OldCall", start: "2026-11-02T10:00:00.000Z", recordingId: "1662272010"),
            callRecord(id: "MidCall", start: "2026-11-10T10:00:00.000Z", recordingId: "1662272011"),
            callRecord(id: "NewCall", start: "2026-11-19T10:00:00.000Z", recordingId: "1662272012"),
        ]
        let messages = [Self.message("9101", from: "+16505550000", created: "2026-11-03T10:00:00.000Z")]
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls, messages: messages), options: options(secrets)).run()
        let now = Timestamp(iso8601: "2026-11-20T12:00:00Z")!
        _ = try Policy.set(store: store, changes: .init(calls: "14d", recordings: "7d", voicemails: "14d"), reason: "p", context: PassContext(now: now, actor: "t@h"))
        let purge = try Purge.run(store: store, dryRun: false, maxDelete: nil, context: PassContext(now: now, actor: "t@h"))
        // OldCall and its recording, MidCall's recording (its record stays), the voicemail and its audio.
        #expect(purge.json["removed"]?["files"]?.int64Value == 5, "\(purge.lines)")
        let afterPurge = GovernanceSyncTests.everything(store.directory).filter { !$0.0.hasPrefix(".ringlog") && !$0.0.hasPrefix("logs") }
        // Lose the state: the next sync lists everything again from the start.
        unlink(store.statePath)
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls, messages: messages), options: options(secrets)).run()
        #expect(report.counts["calls"] ?? 0 == 0 && report.counts["recordings"] ?? 0 == 0 && report.counts["voicemails"] ?? 0 == 0, "\(report.counts)")
        #expect((report.counts["tombstoned"] ?? 0) >= 3)
        let afterSync = GovernanceSyncTests.everything(store.directory).filter { !$0.0.hasPrefix(".ringlog") && !$0.0.hasPrefix("logs") }
        #expect(afterSync.map(\.0).sorted() == afterPurge.map(\.0).sorted(), "nothing came back")
        #expect(Dictionary(uniqueKeysWithValues: afterSync) == Dictionary(uniqueKeysWithValues: afterPurge), "nothing was rewritten")
    }
    /// `exclude apply` removes a message (or call) whose attachment (or recording) is still pending: the pending entry
    /// goes with it. It was kept "until its sidecar is back", which a tombstoned sidecar never is: every later run was
    /// partial with one item error per such entry, for ever.
    @Test func anExcludedItemsPendingMediaLeavesTheQueue() throws {
        let (scratch, root, tenant, secrets) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let store = root.store(for: tenant.tenantId)
        let calls = [callRecord(id: "Secret", start: "2026-11-19T16:00:00.000Z", recordingId: "1662272021",
                                extra: [("from", ["phoneNumber": .string(Self.secret)])])]
        let messages = [Self.message("9201", from: Self.secret)]
        // Media not ready: the recording and the voicemail's audio wait in the pending queue.
        let first = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls, messages: messages, mediaStatus: 404),
                                   options: options(secrets)).run()
        let waiting = try PendingQueue.load(store.directory + "/.ringlog/pending.json").pending.map(\.mediaId).sorted()
        #expect(waiting == ["1662272021", "92011"], "\(waiting), \(first.errors)")
        let key = try ExclusionKeyFile.loadOrCreate(ExclusionKeyFile.path(tenantId: tenant.tenantId, secretsDirectory: secrets))
        _ = try Exclusions.add(store: store, target: .number(Self.secret), country: nil, label: nil, reason: "x", key: key, context: PassContext(actor: "t@h"))
        _ = try Exclusions.apply(store: store, key: key, keyPath: "k", dryRun: false, context: PassContext(actor: "t@h"))
        var retrying = options(secrets)
        retrying.retryPendingNow = true
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: calls, messages: messages), options: retrying).run()
        #expect(report.errors.isEmpty, "\(report.errors)")
        let queue = try PendingQueue.load(store.directory + "/.ringlog/pending.json")
        #expect(queue.pending.isEmpty && queue.quarantined.isEmpty, "\(queue.pending.map(\.key))")
        #expect(report.counts["tombstoned"] == 2, "\(report.counts)")
    }
    /// A purge moves a message whose audio is pending to the trash: the entry waits (`trash restore` may bring the
    /// sidecar back, and the audio is then still to fetch); once the trash is emptied, it leaves the queue.
    @Test func aPurgedItemsPendingMediaWaitsWhileTheTrashHoldsItsSidecar() throws {
        let (scratch, root, tenant, secrets) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let store = root.store(for: tenant.tenantId)
        let messages = [Self.message("9301", from: "+16505550000", created: "2026-11-03T10:00:00.000Z")]
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [], messages: messages, mediaStatus: 404),
                           options: options(secrets)).run()
        let now = Timestamp(iso8601: "2026-11-20T12:00:00Z")!
        _ = try Policy.set(store: store, changes: .init(voicemails: "14d", trashDays: 7), reason: "p", context: PassContext(now: now, actor: "t@h"))
        _ = try Purge.run(store: store, dryRun: false, maxDelete: nil, context: PassContext(now: now, actor: "t@h"))
        var retrying = options(secrets)
        retrying.retryPendingNow = true
        _ = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [], messages: messages), options: retrying).run()
        let pendingPath = store.directory + "/.ringlog/pending.json"
        #expect(try PendingQueue.load(pendingPath).pending.map(\.mediaId) == ["93011"], "kept while the trash can restore its sidecar")
        _ = try Trash.emptyNow(store: store, runId: nil, dryRun: false, reason: "r", context: PassContext(actor: "t@h"))
        let report = try SyncEngine(root: root, tenant: tenant, source: ScriptedSource(calls: [], messages: messages), options: retrying).run()
        #expect(try PendingQueue.load(pendingPath).pending.isEmpty && report.errors.isEmpty, "\(report.errors)")
    }
}
