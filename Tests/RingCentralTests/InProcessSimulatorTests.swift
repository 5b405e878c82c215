import RingCentral
import RinglogSupport
import RingSimulator
import RinglogTestSupport
import Testing

/// The simulator also runs inside a test process (no child process), serving real sockets.
@Suite struct InProcessSimulatorTests {
    @Test func startsServesAndStops() async throws {
        var configuration = SimulatorConfiguration()
        configuration.seed = 5
        configuration.accounts = 2
        let server = try await SimulatorServer.start(configuration: configuration)
        let credentials = server.engine.credentials
        #expect(credentials.count == 2 && credentials[0].accountId != credentials[1].accountId)
        let startup = try JSON.parse(server.startupLine)
        #expect(startup["url"]?.stringValue == server.baseURL)
        #expect(server.baseURL == "http://platform.sim.localhost:\(server.port)" && startup["mediaUrl"]?.stringValue == server.mediaURL)
        #expect(startup["loopbackUrl"]?.stringValue == "http://127.0.0.1:\(server.port)")
        #expect(startup["accounts"]?.arrayValue?.count == 2)
        for (index, account) in credentials.enumerated() {
            let client = RingCentralClient(credentials: RingCentralCredentials(
                serverURL: server.baseURL, clientId: account.clientId, clientSecret: account.clientSecret, jwt: account.jwt))
            let info = try await blocking { try client.accountInfo() }
            #expect(info.id == credentials[index].accountId, "each tenant sees its own account")
            try await blocking { client.revoke() }
        }
        await server.stop()
    }
}
