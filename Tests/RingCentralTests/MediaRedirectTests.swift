import CurlHTTP
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Media hosts redirect. curl itself drops `Authorization` whenever a redirect changes the host, so a
/// redirect from media.<domain> to another sibling host (platform.<domain>) lost the bearer: the
/// sibling answered 401, ringlog logged in again for every such item, and the media never arrived.
/// ringlog follows redirects of authorized requests itself: the bearer goes on to the server's
/// trusted hosts (TrustedHosts), never to any other.
@Suite struct MediaRedirectTests {
    struct Fixture {
        let server: FixtureProcess
        let port: String
        var api: String { "http://platform.redir.localhost:\(port)" }
        var media: String { "http://media.redir.localhost:\(port)" }

        init() throws {
            server = try FixtureProcess(script: "media_redirects.py")
            port = String(server.startup["port"]?.int64Value ?? 0)
        }

        func client() -> RingCentralClient {
            var retry = RetryPolicy()
            retry.maximumAttempts = 1
            return RingCentralClient(credentials: RingCentralCredentials(serverURL: api, clientId: "id", clientSecret: "secret", jwt: "a.b.c"),
                                     retry: retry)
        }

        /// Every request the fixture saw, as (host, path, carried the bearer).
        func log() throws -> [(host: String, path: String, bearer: Bool)] {
            let response = try CurlHTTPClient().perform(HTTPRequest(url: api + "/log"))
            return try JSON.parse(response.body).arrayValue?.map {
                ($0["host"]?.stringValue ?? "", $0["path"]?.stringValue ?? "", $0["bearer"] == .bool(true))
            } ?? []
        }
    }

    static func scratchFile() -> (path: String, descriptor: Int32) {
        let path = "/tmp/ringlog-media-redirect-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return (path, open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600))
    }

    @Test func aRedirectToASiblingHostKeepsTheBearerAndTheMediaArrives() async throws {
        let fixture = try Fixture()
        let client = fixture.client()
        let file = Self.scratchFile()
        defer { close(file.descriptor); unlink(file.path) }
        let download = try await blocking { try client.downloadRecording(contentURI: fixture.media + "/to-sibling/1662272004", to: file.descriptor) }
        #expect(download.bytes > 0 && download.contentType == "audio/mpeg")
        let log = try fixture.log()
        #expect(log.contains { $0.host.hasPrefix("platform.redir.localhost") && $0.path == "/bytes/1662272004" && $0.bearer },
                "the bearer followed to the sibling host: \(log)")
        #expect(log.filter { $0.path == "/restapi/oauth/token" }.count == 1, "one login, no re-login for a lost bearer: \(log)")
    }

    @Test func aRedirectToAForeignHostNeverCarriesTheBearer() async throws {
        let fixture = try Fixture()
        let client = fixture.client()
        let file = Self.scratchFile()
        defer { close(file.descriptor); unlink(file.path) }
        _ = try? await blocking { try client.downloadRecording(contentURI: fixture.media + "/to-foreign/1662272005", to: file.descriptor) }
        let log = try fixture.log()
        #expect(log.contains { $0.host.hasPrefix("evil.localhost") }, "the redirect was followed: \(log)")
        #expect(!log.contains { $0.host.hasPrefix("evil.localhost") && $0.bearer }, "no bearer to a foreign host: \(log)")
        // A relative redirect stays on the (trusted) media host, with the bearer.
        let download = try await blocking { try client.downloadRecording(contentURI: fixture.media + "/to-relative/1662272006", to: file.descriptor) }
        #expect(download.bytes > 0)
    }

    /// Following hop by hop keeps curl's rule: from https never down to http, bearer or not.
    @Test func aHopByHopRedirectFromHttpsDownToHttpIsRefused() async throws {
        let server = try FixtureProcess(script: "tls_redirect.py")
        var configuration = CurlConfiguration()
        configuration.caBundlePath = server["ca"]
        let client = CurlHTTPClient(configuration: configuration)
        let secure = try await blocking {
            try client.perform(HTTPRequest(url: server["https"] + "/to-https"), sink: .memory(limit: 1 << 20), keepingAuthorizationFor: { _ in true })
        }
        #expect(secure.status == 200 && String(decoding: secure.body, as: UTF8.self) == "secure" && secure.redirectCount == 1)
        await #expect {
            _ = try await blocking {
                try client.perform(HTTPRequest(url: server["https"] + "/to-http", headers: [("Authorization", "Bearer secret-token")]),
                                   sink: .memory(limit: 1 << 20), keepingAuthorizationFor: { _ in true })
            }
        } throws: { error in
            guard let transport = error as? TransportError else { return false }
            return transport.kind == .invalidRequest && !transport.description.contains("secret-token")
        }
        let probe = try await blocking { try client.perform(HTTPRequest(url: server["http"] + "/plain")) }
        #expect(try JSON.parse(probe.body)["hits"]?.int64Value == 1, "nothing reached the plain server")
    }

    /// A 401 that a fresh login does not cure (the media host refuses whatever token) is not cured by
    /// the next login either: after two re-logins that did not help, that endpoint gets no more (RingCentral
    /// allows 5 logins a minute; 40 pending recordings made 41 logins).
    @Test func aFourOhOneThatALoginDoesNotCureIsNotLoggedInAgainForEveryItem() async throws {
        let fixture = try Fixture()
        let client = fixture.client()
        let file = Self.scratchFile()
        defer { close(file.descriptor); unlink(file.path) }
        for _ in 0..<5 {
            await #expect(throws: RingCentralError.self) {
                _ = try await blocking { try client.downloadRecording(contentURI: fixture.media + "/always-401", to: file.descriptor) }
            }
        }
        let logins = try fixture.log().filter { $0.path == "/restapi/oauth/token" }.count
        #expect(logins == 3, "the first login and two re-logins that did not help, not one per item: \(logins)")
    }
}
