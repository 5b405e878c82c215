import CurlHTTP
import RinglogSupport
import RinglogTestSupport
import Testing

/// A redirect never steps down from https to http: a bearer token or a recording would then cross
/// the network in clear. Staying on https is followed as before.
@Suite struct RedirectSecurityTests {
    @Test func anHttpsToHttpRedirectIsRefusedAndAnHttpsOneFollowed() async throws {
        let server = try FixtureProcess(script: "tls_redirect.py")
        var configuration = CurlConfiguration()
        configuration.caBundlePath = server["ca"]
        let client = CurlHTTPClient(configuration: configuration)
        let secure = try await blocking { try client.perform(HTTPRequest(url: server["https"] + "/to-https")) }
        #expect(secure.status == 200 && String(decoding: secure.body, as: UTF8.self) == "secure")

        let downgraded = try await blocking { () -> Result<HTTPResponse, TransportError> in
            do { return .success(try client.perform(HTTPRequest(url: server["https"] + "/to-http", headers: [("Authorization", "Bearer secret-token")]))) }
            catch let error as TransportError { return .failure(error) }
        }
        guard case .failure(let error) = downgraded else {
            Issue.record("an https → http redirect was followed: \(downgraded)")
            return
        }
        #expect(!error.description.contains("secret-token"))
        // Nothing reached the plain server: its first request now is this one.
        let probe = try await blocking { try client.perform(HTTPRequest(url: server["http"] + "/plain")) }
        #expect(try JSON.parse(probe.body)["hits"]?.int64Value == 1)
    }
}
