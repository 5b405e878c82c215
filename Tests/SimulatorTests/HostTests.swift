import CurlHTTP
import RinglogSupport
import RinglogTestSupport
import Testing
@testable import RingSimulator

/// The API and media on two sibling hosts with the port written out, as RingCentral's payloads have
/// them (`platform.ringcentral.com` / `https://media.ringcentral.com:443/restapi/…`), or everything on
/// one loopback URL with `singleHost`.
@Suite struct HostTests {
    static let platform = "http://platform.sim.localhost:1/"
    static let media = "http://media.sim.localhost:1/restapi/v1.0/account/"

    /// Every URI the simulator hands out, with the JSON path it sits at.
    static func uris(in value: JSON, at path: String = "") -> [(path: String, uri: String)] {
        switch value {
        case .object(let object):
            return object.keys.flatMap { key -> [(path: String, uri: String)] in
                let child = object[key]!
                if key == "uri" || key == "contentUri", let uri = child.stringValue { return [(path + "." + key, uri)] }
                return uris(in: child, at: path + "." + key)
            }
        case .array(let items):
            return items.enumerated().flatMap { uris(in: $1, at: "\(path)[\($0)]") }
        default:
            return []
        }
    }

    /// Media URIs (`contentUri`, attachment `uri`) go to the media host; every other URI to the API host.
    static func expectHosts(_ value: JSON, platform: String = platform, media: String = media,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let all = uris(in: value)
        #expect(!all.isEmpty, sourceLocation: sourceLocation)
        for (path, uri) in all {
            let isMedia = path.hasSuffix(".contentUri") || path.contains(".attachments[")
            #expect(uri.hasPrefix(isMedia ? media : platform), "\(path) = \(uri)", sourceLocation: sourceLocation)
        }
    }

    @Test func recordsAndPagesNameTheAPIHostAndMediaTheMediaHostWithThePort() throws {
        var driver = EngineDriver { $0.days = 14 }
        try driver.login()
        let (_, list) = try driver.getJSON(driver.accountPath + "/call-log",
                                           [("dateFrom", "2026-11-01T00:00:00Z"), ("view", "Detailed"), ("perPage", "1000")])
        Self.expectHosts(list)
        #expect(Self.uris(in: list).contains { $0.path.hasSuffix(".contentUri") }, "some records carry a recording")
        let (_, sync) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "250")])
        Self.expectHosts(sync)

        let recording = try #require(try driver.truth().first { $0["kind"] == "recording" })
        let recordingId = try #require(recording["recordingId"]?.stringValue)
        let (_, metadata) = try driver.getJSON(driver.accountPath + "/recording/\(recordingId)")
        Self.expectHosts(metadata)

        let voicemail = try #require(try driver.truth().first { $0["kind"] == "voicemail" })
        let mailbox = driver.accountPath + "/extension/\(voicemail["extensionId"]?.stringValue ?? "")"
        let (_, messages) = try driver.getJSON(mailbox + "/message-store", [("dateFrom", "2026-11-01T00:00:00Z")])
        Self.expectHosts(messages)
        #expect(Self.uris(in: messages).contains { $0.path.contains(".attachments[") })
        let (_, messageSync) = try driver.getJSON(mailbox + "/message-sync", [("dateFrom", "2026-11-01T00:00:00Z")])
        Self.expectHosts(messageSync)

        // Content redirects stay on the media host.
        let content = driver.get(driver.accountPath + "/recording/\(recordingId)/content")
        #expect(content.status == 302)
        let location = content.headers.first { $0.name == "Location" }?.value ?? ""
        #expect(location.hasPrefix("http://media.sim.localhost:1/__media/recording/"), "\(location)")
    }

    @Test func singleHostPutsEverythingOnTheLoopbackURL() throws {
        var driver = EngineDriver { $0.singleHost = true }
        try driver.login()
        let (_, list) = try driver.getJSON(driver.accountPath + "/call-log", [("dateFrom", "2026-11-01T00:00:00Z"), ("view", "Detailed")])
        Self.expectHosts(list, platform: "http://127.0.0.1:1/", media: "http://127.0.0.1:1/restapi/v1.0/account/")
        #expect(driver.engine.urls == SimulatorURLs(port: 1, domain: "sim.localhost", singleHost: true))
        #expect(driver.engine.urls.loopback == "http://127.0.0.1:1")
    }

    /// The real binary: the startup line names the three URLs, libcurl reaches the API host, follows a
    /// recording's contentUri to the media host (and its redirect there), and the loopback URL serves the
    /// same simulator for tools that cannot resolve `*.localhost`.
    @Test func theBinaryServesTheAPIAndMediaHostsAndTheLoopbackURL() async throws {
        let sim = try await LiveSimulator.start { $0.days = 2; $0.futureDays = 0 }
        #expect(sim.baseURL == "http://platform.sim.localhost:\(sim.port)")
        #expect(sim.mediaURL == "http://media.sim.localhost:\(sim.port)")
        #expect(sim.loopbackURL == "http://127.0.0.1:\(sim.port)")
        let credentials = sim.credentials()
        let (list, content, loopbackClock) = try await blocking { () throws -> (JSON, HTTPResponse, HTTPResponse) in
            let http = CurlHTTPClient()
            let basic = Base64.encode(Array("\(credentials.clientId):\(credentials.clientSecret)".utf8))
            let login = try http.perform(HTTPRequest(
                method: .post, url: sim.baseURL + "/restapi/oauth/token",
                headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(credentials.jwt)".utf8)))
            let token = try JSON.parse(login.body)["access_token"]?.stringValue ?? ""
            let bearer = [("Authorization", "Bearer \(token)")]
            let page = try http.perform(HTTPRequest(url: sim.baseURL + "/restapi/v1.0/account/~/call-log?view=Detailed&perPage=1000&dateFrom=2026-11-18T00:00:00Z",
                                                    headers: bearer))
            let list = try JSON.parse(page.body)
            let contentURI = Self.uris(in: list).first { $0.path.hasSuffix(".contentUri") }?.uri ?? ""
            let content = try http.perform(HTTPRequest(url: contentURI, headers: bearer))
            let clock = try http.perform(HTTPRequest(url: sim.loopbackURL + "/__sim/clock"))
            return (list, content, clock)
        }
        Self.expectHosts(list, platform: sim.baseURL + "/", media: sim.mediaURL + "/restapi/v1.0/account/")
        #expect(content.status == 200 && content.body.count > 100, "HTTP \(content.status)")
        #expect(content.redirectCount == 1 && content.effectiveURL.hasPrefix(sim.mediaURL + "/__media/recording/"), "\(content.effectiveURL)")
        let clock = try JSON.parse(loopbackClock.body)
        #expect(loopbackClock.status == 200 && clock["now"] != nil)
    }
}
