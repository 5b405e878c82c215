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
        ("https://platform.ringcentral.com", "https://media.ringcentral.com:/x", false),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8081/x", false),
        ("http://127.0.0.1:8080", "http://127.0.0.2:8080/x", false),
        ("http://[::1]:8080", "http://[::1]:8080/x", true),
        ("http://[::1]:8080", "http://[::1]:9090/x", false),
    ])
    func mediaOriginsAreComparedWithTheDefaultPortFilledIn(server: String, url: String, allowed: Bool) {
        #expect(TrustedHosts(serverURL: server).allows(url) == allowed)
    }
}
