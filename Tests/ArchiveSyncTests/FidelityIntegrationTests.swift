import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// The real binary against a simulator that is as unkind as RingCentral may be: media on a sibling
/// host with the port written out, ISync that never re-sends a changed record.
@Suite struct FidelityIntegrationTests {
    /// With `--isync-updates none` a record whose recording appears after it was archived never comes
    /// through ISync again: the reconcile window finds it. With the window off, it stays missing,
    /// which is what this test exists to show.
    @Test(arguments: [true, false])
    func lateRecordingsAreArchivedWhenISyncNeverResendsARecord(reconcile: Bool) async throws {
        let sim = try await LiveSimulator.start { $0.isyncUpdates = "none" }
        let archive = try await ArchiveFixture.create(sim)
        let window = reconcile ? [] : ["--reconcile-hours", "0", "--deep-reconcile-days", "0"]
        try archive.expectExactStatus(try await archive.sync(window))
        let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        func instant(_ item: JSON, _ key: String) -> Timestamp { Timestamp(iso8601: item[key]?.stringValue ?? "")! }
        // A call that will be in the call log at the next run while its recording has not appeared yet.
        let late = try #require(sim.recordingSchedule.first { instant($0, "appearsAt") > start.adding(seconds: 3600) })
        let appears = instant(late, "appearsAt")
        sim.advance(seconds: Double(appears.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000 - 30)
        _ = try await archive.sync(window)
        #expect(archive.manifestLines.contains { $0["kind"] == "call" && $0["callId"] == late["callId"] }, "archived before its recording")
        sim.advance(seconds: 60 + Double(instant(late, "readyAt").millisecondsSinceEpoch - appears.millisecondsSinceEpoch) / 1000)
        let result = try await archive.sync(window)
        let archived = archive.manifestLines.contains { $0["kind"] == "recording" && $0["recordingId"] == late["recordingId"] }
        #expect(archived == reconcile, "late recording archived: \(archived) with the reconcile window \(reconcile ? "on" : "off")")
        if reconcile {
            let waiting = try archive.pendingRecordingIds()
            try archive.expectExactStatus(result, waitingSince: waiting)
            try archive.expectMatchesTruth()
        }
    }

    /// The simulator gives two extensions one number (as a real account's payloads show): no folder
    /// ever holds items of two extensions, and the lower id keeps the number.
    @Test func extensionsSharingANumberNeverShareAFolder() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        try archive.expectExactStatus(try await archive.sync())
        try archive.expectMatchesTruth()
        var owners: [String: Set<String>] = [:]
        for line in archive.manifestLines where line["kind"] == "call" || line["kind"] == "message" {
            let folder = String((line["path"]?.stringValue ?? "").split(separator: "/").first ?? "")
            guard folder != "_account", let id = line["extensionId"]?.stringValue else { continue }
            owners[folder, default: []].insert(id)
        }
        #expect(owners.values.allSatisfy { $0.count == 1 }, "a folder holds two extensions: \(owners.filter { $0.value.count > 1 })")
        // The shared pair: both archived, one under the number, the other under id-<extensionId>.
        let truth = try archive.truth()
        var idsByNumber: [String: Set<String>] = [:]
        for item in truth {
            if let number = item["extensionNumber"]?.stringValue, let id = item["extensionId"]?.stringValue { idsByNumber[number, default: []].insert(id) }
        }
        let shared = try #require(idsByNumber.first { $0.value.count > 1 }, "the simulator shares a number")
        let lower = shared.value.min { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }!
        #expect(owners[shared.key] == [lower])
        for other in shared.value where other != lower && owners["id-\(other)"] != nil {
            #expect(owners["id-\(other)"] == [other])
        }
        #expect(shared.value.filter { $0 != lower }.contains { owners["id-\($0)"] != nil }, "the other extension's items are under id-<extensionId>")
    }

    /// Media URLs are on the sibling host `media.sim.localhost` with the port written out, as
    /// RingCentral's are (`https://media.ringcentral.com:443/…`), and the bearer goes there.
    @Test func mediaComesFromTheSiblingHostWithAnExplicitPort() async throws {
        let sim = try await LiveSimulator.start()
        #expect(sim.mediaURL.hasPrefix("http://media.") && sim.mediaURL != sim.baseURL)
        let archive = try await ArchiveFixture.create(sim)
        let result = try await archive.sync()
        try archive.expectExactStatus(result)
        try archive.expectMatchesTruth()
        let recorded = try #require(archive.manifestLines.first { $0["kind"] == "recording" })
        let callPath = try #require(archive.manifestLines.first { $0["kind"] == "call" && $0["callId"] == recorded["callId"] }?["path"]?.stringValue)
        let sidecar = try archive.sidecar(callPath)
        let uris = [sidecar["record"]?["recording"]?["contentUri"]] + (sidecar["record"]?["legs"]?.arrayValue ?? []).map { $0["recording"]?["contentUri"] }
        #expect(uris.compactMap { $0?.stringValue }.contains { $0.hasPrefix(sim.mediaURL + "/") }, "\(uris)")
    }
}

/// `--mailbox-access owner`: RingCentral answers 403 CMN-404 for every mailbox but the JWT user's own.
@Suite struct MailboxAccessIntegrationTests {
    @Test func refusedMailboxesAreSkippedWithAWarningAndTheirOwnLoginsArchiveThem() async throws {
        let sim = try await LiveSimulator.start { $0.mailboxAccess = "owner" }
        let owner = try #require(sim.startup["accounts"]?[0]?["ownerExtensionId"]?.stringValue)
        let archive = try await ArchiveFixture.create(sim)
        let first = try await archive.sync()
        let report = try archive.report(first)
        #expect([0, 4].contains(first.status), "not a failed run: \(first.standardError)")
        #expect(report["counts"]?["itemErrors"]?.int ?? 0 == 0, "no error per message: \(report["errors"] ?? .null)")
        let warnings = (report["warnings"]?.arrayValue ?? []).compactMap(\.stringValue).filter { $0.contains("CMN-404") }
        #expect(warnings.count == 1 && warnings[0].contains("\"mailboxes\""), "\(warnings)")
        let voicemails = try archive.truth().filter { $0["kind"] == "voicemail" }
        let archivedNow = Set(archive.manifestLines.filter { $0["kind"] == "voicemail" }.compactMap { $0["extensionId"]?.stringValue })
        #expect(archivedNow.isSubset(of: [owner]), "only the JWT user's own mailbox is read: \(archivedNow)")
        #expect(voicemails.contains { $0["extensionId"]?.stringValue != owner }, "the account has others' voicemail to miss")

        // Each user's own JWT in the secrets file: their mailboxes are read through their own logins.
        let secrets = archive.scratch.path + "/secrets"
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        let environment = sim.environment()
        var mailboxes = JSONObject()
        for (id, jwt) in sim.extensionJwts().sorted(by: { $0.key < $1.key }) where id != owner { mailboxes[id] = ["jwt": .string(jwt)] }
        let file: JSON = ["clientId": .string(environment["RC_APP_CLIENT_ID"] ?? ""), "clientSecret": .string(environment["RC_APP_CLIENT_SECRET"] ?? ""),
                          "jwt": .string(environment["RC_USER_JWT"] ?? ""), "mailboxes": .object(mailboxes)]
        let path = secrets + "/\(archive.tenantId).json"
        try DurableFiles.writeAtomically(path, file.serializedBytes(.pretty))
        chmod(path, 0o600)
        let second = try await archive.sync(["--secrets-dir", secrets])
        #expect([0, 4].contains(second.status), "\(second.standardError)")
        let readable = Set(sim.extensionJwts().keys)
        let expected = Set(voicemails.filter { readable.contains($0["extensionId"]?.stringValue ?? "") }.compactMap { $0["attachmentId"]?.stringValue })
        let archived = Set(archive.manifestLines.filter { $0["kind"] == "voicemail" }.compactMap { $0["attachmentId"]?.stringValue })
        #expect(expected.isSubset(of: archived) && !expected.isEmpty, "every mailbox with a login is archived: \(expected.subtracting(archived).count) missing")
        // Mailboxes without a login of their own (departments) are still skipped, and only they.
        let stillWarned = (try archive.report(second)["warnings"]?.arrayValue ?? []).compactMap(\.stringValue).filter { $0.contains("CMN-404") }
        #expect(stillWarned.count <= 1)
        #expect(!readable.contains { id in stillWarned.contains { $0.contains("(id \(id))") } }, "a mailbox with a login is not skipped: \(stillWarned)")
        #expect(!(second.standardError + second.standardOutput).contains(environment["RC_USER_JWT"] ?? "-"), "no secret printed")
    }
}
