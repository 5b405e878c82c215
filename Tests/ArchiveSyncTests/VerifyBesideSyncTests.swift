import Foundation
import ArchiveStore
import RinglogSupport
import RinglogTestSupport
import Testing

/// `ringlog verify` and `ringlog export` read a tenant while a real sync writes it: neither blocks the
/// sync, and what the sync has in flight (temporary files, media renamed before their sidecar,
/// sidecars before their manifest lines) is never reported as damage.
@Suite struct VerifyBesideSyncTests {
    @Test func verifyAndExportBesideARunningSyncFindNoDamage() async throws {
        let sim = try await LiveSimulator.start()
        sim.setFaults(#"{"slowShare": 0.3}"#)  // a run of seconds, whatever the machine's load
        let archive = try await ArchiveFixture.create(sim, since: "2026-11-19T00:00:00Z")
        let (process, errors) = try await archive.startSyncMidRun()
        var verifies = 0, exports = 0, skipped = 0
        while process.isRunning && verifies < 8 {
            let verify = try await runRinglog(["verify", "--root", archive.root, "--json"])
            #expect(verify.status == 0, "verify beside a sync: \(verify.standardOutput.prefix(2000)) \(verify.standardError)")
            skipped += Int(((try? JSON.parse(verify.standardOutput))?[0]?["skipped"]?["concurrentWriter"]?.int64Value) ?? 0)
            verifies += 1
            let export = try await runRinglog(["export", "--root", archive.root, "--tenant", archive.tenantId, "--period", "2026-11",
                                               "-o", archive.scratch.path + "/during-\(exports).tar"])
            #expect(export.status == 0, "export beside a sync: \(export.standardError)")
            exports += 1
        }
        sim.setFaults("{}")  // let the sync finish quickly now
        let stderr = try await blocking { () -> String in
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text
        }
        #expect([0, 4].contains(process.terminationStatus), "the sync was not disturbed: \(stderr)")
        #expect(verifies >= 1)
        print("verify beside sync: \(verifies) verifies, \(exports) exports, \(skipped) in-flight findings skipped")
        let after = try await runRinglog(["verify", "--root", archive.root])
        #expect(after.status == 0, "\(after.standardOutput) \(after.standardError)")
        // An export taken during the sync is a consistent snapshot: its checksums hold.
        let extract = archive.scratch.path + "/x"
        try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
        let untar = Process()
        untar.executableURL = URL(fileURLWithPath: "/bin/bash")
        untar.arguments = ["-c", "cd '\(extract)' && tar -xf '\(archive.scratch.path)/during-0.tar' && cd * && sha256sum -c --quiet SHA256SUMS"]
        try untar.run()
        try await blocking { untar.waitUntilExit() }
        #expect(untar.terminationStatus == 0)
    }
}
