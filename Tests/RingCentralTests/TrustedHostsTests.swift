@testable import RingCentral
import Testing

/// Real RingCentral payloads write media URLs with an explicit default port
/// (`https://media.ringcentral.com:443/restapi/…`, RingCentral's guide and SDK fixtures): the same origin
/// as no port. Refusing them archived no media at all against production.
@Suite struct TrustedHostsTests {
    @Test(arguments: [
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:443/restapi/v1.0/account/1/recording/2/content", true),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com/restapi/v1.0/account/1/recording/2/content", true),
        ("https://platform.ringcentral.com", "https://platform.ringcentral.com:443/restapi/v1.0/account/1", true),
        ("https://platform.ringcentral.com:443", "https://media.ringcentral.com/restapi/x", true),
        ("https://platform.ringcentral.com", "https://MEDIA.RingCentral.com:443/x", true),
        ("https://platform.devtest.ringcentral.com", "https://media.devtest.ringcentral.com:443/x", true),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/restapi/x", true),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:8443/x", false),
        ("https://platform.ringcentral.com", "http://media.ringcentral.com/x", false),
        ("https://platform.ringcentral.com", "http://media.ringcentral.com:443/x", false),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com.evil.example/x", false),
        ("https://platform.ringcentral.com", "https://evilringcentral.com/x", false),
        ("https://platform.ringcentral.com", "https://user@media.ringcentral.com/x", false),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:+443/x", false),
        // An empty port is the scheme's default (RFC 3986 §3.2.3), and it is where curl connects.
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:/x", true),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:443@evil.example/x", false),
        ("https://platform.ringcentral.com", "https://evil.example#@media.ringcentral.com/x", false),
        ("https://platform.ringcentral.com", "https://evil.example\\@media.ringcentral.com/x", false),
        // curl decodes the host before connecting: this is media.ringcentral.com, and judged as curl sees it.
        ("https://platform.ringcentral.com", "https://media%2eringcentral.com/x", true),
        ("https://platform.ringcentral.com", "https://evil%2eexample/x", false),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com%2f.evil.example/x", false),
        ("https://platform.ringcentral.com", "//media.ringcentral.com/x", false),
        ("https://platform.ringcentral.com", "/restapi/v1.0/account/1", false),
        ("https://platform.ringcentral.com", "ftp://media.ringcentral.com/x", false),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:0443/x", true),
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:65536/x", false),
        ("http://platform.sim.localhost:8080", "http://media.sim.localhost:8080/restapi/x", true),
        ("http://platform.sim.localhost:8080", "http://media.sim.localhost/restapi/x", false),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8081/x", false),
        ("http://127.0.0.1:8080", "http://127.0.0.2:8080/x", false),
        ("http://[::1]:8080", "http://[::1]:8080/x", true),
        ("http://[::1]:8080", "http://[::1]:9090/x", false),
    ])
    func mediaOriginsAreComparedWithTheDefaultPortFilledIn(server: String, url: String, allowed: Bool) {
        #expect(TrustedHosts(serverURL: server).allows(url) == allowed)
    }

    /// A refused URL is shown with its control characters escaped and cut at 300 characters: a CR/LF in a
    /// hostile contentUri forged a line in `ringlog pending`; a 200,000-character one was printed whole.
    @Test func aRefusedURLIsShownWithoutControlCharactersAndBounded() {
        let forged = RingCentralError.untrustedURL("https://evil.example/x\r\nX-Injected: 1\u{1B}]0;title\u{07}").description
        #expect(!forged.contains("\r") && !forged.contains("\n") && !forged.contains("\u{1B}") && !forged.contains("\u{07}"), "\(forged)")
        #expect(forged.contains("evil.example/x\\u{d}\\u{a}X-Injected"), "\(forged)")
        let long = RingCentralError.untrustedURL("https://evil.example/" + String(repeating: "a", count: 200_000)).description
        #expect(long.count < 500, "\(long.count)")
    }
}
