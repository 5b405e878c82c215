import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

@Suite struct ProbeTests {
    @Test func probeWithATenantsCredentialsChecksEveryPermissionTheArchiveNeeds() async throws {
        let sim = try await LiveSimulator.start { $0.days = 2; $0.futureDays = 0 }
        let archive = try await ArchiveFixture.create(sim)
        let result = try await runRinglog(["probe", "--root", archive.root, "--tenant", archive.tenantId, "--json"], environment: sim.environment())
        #expect(result.status == 0, "\(result.standardOutput) \(result.standardError)")
        let report = try JSON.parse(result.standardOutput)
        let checks = report["checks"]?.arrayValue ?? []
        #expect(checks.compactMap { $0["name"]?.stringValue }.count == 6, "\(report.serialized())")
        #expect(checks.allSatisfy { $0["ok"] == .bool(true) }, "\(report.serialized())")
        #expect(checks.contains { $0["name"]?.stringValue?.contains("recording") == true && $0["detail"]?.stringValue?.contains("readable") == true })
        #expect(report["server"]?.stringValue == sim.baseURL)

        var wrong = sim.environment()
        wrong["RC_USER_JWT"] = "eyJ.not-the.jwt"
        let refused = try await runRinglog(["probe", "--root", archive.root, "--tenant", archive.tenantId], environment: wrong)
        #expect(refused.status == 3, "\(refused.standardOutput) \(refused.standardError)")
        #expect(refused.standardOutput.contains("FAIL") && refused.standardOutput.contains("client id, client secret and JWT"))
    }
}
