import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Secrets (client secret, JWT, access tokens) never reach a log line or an error message, and
/// `access_token` is stripped from every URL that is logged or returned for storage.
@Suite struct SecretHygieneTests {
    /// Every simulator access token starts with this prefix.
    static let accessTokenPrefix = "U0lNMDFQMDFQQVMwMHxBQUJ"

    @Test func noSecretInLogsOrErrorsAcrossSuccessAndFailure() async throws {
        let sim = try await LiveSimulator.start()
        let capture = LogCapture()
        let client = sim.client(logger: capture.logger)
        var messages: [String] = []
        let records = try await blocking {
            try client.callLog(dateFrom: Timestamp(iso8601: "2026-11-19T00:00:00Z")!, dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!)
        }
        let recording = try #require(records.compactMap(\.recording).first)
        let file = temporaryFile()
        defer { close(file.descriptor); unlink(file.path) }
        // A stored contentUri may carry ?access_token=: it must not survive into anything returned.
        let download = try await blocking {
            try client.downloadRecording(contentURI: recording.contentURI + "?access_token=SECRET-IN-URL", to: file.descriptor)
        }
        messages.append(download.effectiveURL)
        sim.setFaults(#"{"serverErrorShare": 0.5, "tokenInvalidationShare": 0.2}"#)
        for _ in 0..<6 {
            do { _ = try await blocking { try client.accountInfo() } } catch { messages.append("\(error)") }
        }
        sim.setFaults("{}")
        for failing in [recording.contentURI.replacingLast("content", with: "nothing?access_token=SECRET-IN-URL"),
                        "https://evil.example.com/steal?access_token=SECRET-IN-URL"] {
            do { _ = try await blocking { try client.downloadRecording(contentURI: failing, to: file.descriptor) } } catch {
                messages.append("\(error)")
            }
        }
        var wrong = sim.credentials()
        wrong.jwt += "x"
        let badClient = RingCentralClient(credentials: wrong, logger: capture.logger)
        do { _ = try await blocking { try badClient.accountInfo() } } catch { messages.append("\(error)") }
        try await blocking { client.revoke() }
        messages.append("\(sim.credentials())")

        let everything = capture.lines.withLock { $0 } + messages
        #expect(everything.count > 10, "the scenario produced output to inspect")
        let secrets = sim.credentials().secrets + wrong.secrets + [Self.accessTokenPrefix, "SECRET-IN-URL", "access_token="]
        for line in everything {
            for secret in secrets { #expect(!line.contains(secret), "leaked in: \(line)") }
        }
    }

    @Test func bearerTokensGoOnlyToTheServersDomain() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client()
        _ = try await blocking { try client.login() }
        let before = sim.stats["requests"]?.int
        for url in ["http://127.0.0.2:\(sim.port)/restapi/v1.0/account/~/recording/1/content",
                    "http://127.0.0.1:\(sim.port)@evil.example.com/x", "ftp://127.0.0.1/x"] {
            await #expect {
                _ = try await blocking { try client.downloadRecording(contentURI: url, to: -1) }
            } throws: { error in
                if case RingCentralError.untrustedURL = error { return true }
                return false
            }
        }
        #expect(sim.stats["requests"]?.int == before, "nothing was sent")
    }

    @Test(arguments: [
        ("https://media.ringcentral.com/r/1/content?access_token=abc", "https://media.ringcentral.com/r/1/content"),
        ("https://m.example/x?a=1&access_token=abc&b=2", "https://m.example/x?a=1&b=2"),
        ("https://m.example/x?ACCESS_TOKEN=abc#frag", "https://m.example/x#frag"),
        ("https://m.example/x?access%5Ftoken=abc", "https://m.example/x"),
        ("https://m.example/x?my_access_token=keep", "https://m.example/x?my_access_token=keep"),
        ("https://m.example/x", "https://m.example/x"),
    ])
    func accessTokenIsRemovedFromURLs(input: String, expected: String) {
        #expect(redactingAccessToken(input) == expected)
    }

    @Test func credentialsDescriptionHidesSecrets() {
        let credentials = RingCentralCredentials(serverURL: "https://platform.ringcentral.com/", clientId: "id", clientSecret: "s3cr3t",
                                                 jwt: "eyJhbGciOi.payload.sig")
        #expect(credentials.serverURL == "https://platform.ringcentral.com")
        #expect(!"\(credentials)".contains("s3cr3t") && !"\(credentials)".contains("eyJhbGciOi"))
        #expect(!String(reflecting: credentials).contains("s3cr3t"))
    }
}

extension String {
    func replacingLast(_ target: String, with replacement: String) -> String {
        guard let range = self.range(of: target, options: .backwards) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}

import Foundation
