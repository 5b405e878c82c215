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
