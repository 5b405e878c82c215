import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Authentication lifecycle and recovery from every fault the simulator can inject.
@Suite struct ClientResilienceTests {
    @Test func oneLoginServesManyRequestsAndRevokeEndsTheSession() async throws {
        let sim = try await LiveSimulator.start()
        let capture = LogCapture()
        let client = sim.client(logger: capture.logger)
        for _ in 0..<8 { _ = try await blocking { try client.accountInfo() } }
        #expect(sim.stats["logins"]?.int == 1, "the token is reused, not re-requested per call \(capture.lines.withLock { $0 })")
        try await blocking { client.revoke() }
        #expect(sim.stats["revocations"]?.int == 1)
        _ = try await blocking { try client.accountInfo() }
        #expect(sim.stats["logins"]?.int == 2, "after revoke the next call logs in again")
        #expect(sim.stats["unauthorized"]?.int == 0, "no request was sent with the revoked token")
    }

    /// The renewal must happen *before* expiry, not merely after it: a request sent when 95 % of the
    /// token's lifetime has passed (past the client's 10 % early-renewal point, still inside the
    /// token's validity) must bring a second login, and every login must land before the first
    /// token's `expires_in` elapsed, with no 401 at all. A client that renews only at or after expiry
    /// (or only on a 401) reuses the old token here and fails the login count.
    @Test func theJWTIsPresentedAgainBeforeTheTokenExpires() async throws {
        let lifetime = 15.0  // long enough that a loaded machine does not reach the renewal point between two calls
        let sim = try await LiveSimulator.start { $0.tokenLifetime = Int(lifetime) }
        var retry = RetryPolicy()
        retry.initialDelaySeconds = 0.02
        // The default floor (60 s) would replace a 15 s expires_in by an hour; allow short lifetimes here.
        let client = RingCentralClient(credentials: sim.credentials(), retry: retry, tokenLifetimeBounds: 1...3600)
        let beforeLogin = monotonicSeconds()  // the simulator issues the token after this instant
        _ = try await blocking { try client.login() }
        let afterLogin = monotonicSeconds()
        #expect(sim.stats["logins"]?.int == 1)
        _ = try await blocking { try client.accountInfo() }
        // On a machine so loaded that the renewal point passed before this call (load 50 was seen), the
        // client renewed rightly, and what follows measures nothing: only an exact check is made.
        guard monotonicSeconds() - afterLogin < lifetime * 0.85 else { return }
        #expect(sim.stats["logins"]?.int == 1, "a fresh token is reused")
        // 95 % of the lifetime after the login answer: past the renewal point (90 %), before expiry.
        let target = afterLogin + lifetime * 0.95
        try await Task.sleep(nanoseconds: UInt64(max(0, target - monotonicSeconds()) * 1e9))
        _ = try await blocking { try client.accountInfo() }
        let done = monotonicSeconds()
        #expect(sim.stats["logins"]?.int == 2, "the JWT was presented again before the token expired")
        #expect(sim.stats["unauthorized"]?.int == 0, "renewed before expiry, not after a 401")
        // The second login finished before `done`; the first token expires at the earliest
        // beforeLogin + lifetime. Only meaningful when the machine kept up (the check is exact otherwise).
        if afterLogin - beforeLogin < lifetime * 0.04 {
            #expect(done - beforeLogin < lifetime, "the renewal completed inside the first token's lifetime")
        }
    }

    @Test func aRevokedOrInvalidatedTokenIsReplacedOnceOn401() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client()
        sim.setFaults(#"{"tokenInvalidationShare": 0.3}"#)
        for _ in 0..<20 { _ = try await blocking { try client.accountInfo() } }
        let invalidated = sim.stats["faultsInjected"]?["tokenInvalidation"]?.int ?? 0
        #expect(invalidated > 0)
        #expect(sim.stats["logins"]?.int == 1 + invalidated, "exactly one re-login per invalidated token: \(sim.stats.serialized())")
    }

    @Test func badCredentialsFailWithATypedAuthenticationError() async throws {
        let sim = try await LiveSimulator.start()
        var credentials = sim.credentials()
        credentials.jwt = "eyJ.not-the.jwt"
        credentials.source = "secrets file /tmp/tenant.json"
        let client = RingCentralClient(credentials: credentials)
        await #expect {
            _ = try await blocking { try client.accountInfo() }
        } throws: { error in
            guard case RingCentralError.authenticationFailed(400, let body, sim.baseURL, "secrets file /tmp/tenant.json") = error else {
                return false
            }
            return body?.oauthError == "invalid_grant"
                && "\(error)".contains("refused the credentials from secrets file /tmp/tenant.json (HTTP 400, OAU-140")
        }
    }

    /// Each fault switch on its own, at a share high enough to hit several times: every operation
    /// still completes with correct bytes, and nothing is sent inside a penalty window.
    @Test(arguments: ["serverErrorShare", "connectionResetShare", "truncatedBodyShare", "slowShare", "burst429Share",
                      "tokenInvalidationShare"])
    func recoversFromFault(_ fault: String) async throws {
        let sim = try await LiveSimulator.start { $0.slowSeconds = 2.5 }
        // A response that is slow to start is waited out when the low-speed window is longer than the
        // delay; a shorter window would make media "stalled", which is abandoned to pending, not retried.
        let client = sim.client(lowSpeedTimeSeconds: fault == "slowShare" ? 12 : 1, maximumAttempts: 8)
        sim.setFaults(#"{"\#(fault)": \#(fault == "slowShare" ? 0.2 : 0.3)}"#)
        let calls = try await blocking {
            try client.callLog(dateFrom: Timestamp(iso8601: "2026-11-17T00:00:00Z")!, dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!,
                               perPage: 20)
        }
        sim.setFaults("{}")
        let expected = Set(sim.truth.filter { $0["kind"] == "call" && ($0["startTime"]?.stringValue ?? "") >= "2026-11-17" }
            .compactMap { $0["callId"]?.stringValue })
        #expect(Set(calls.map(\.id)) == expected, "every page arrived despite the fault")
        let truthItems = sim.truth
        sim.setFaults(#"{"\#(fault)": \#(fault == "slowShare" ? 0.2 : 0.3)}"#)
        for recording in calls.compactMap(\.recording).prefix(6) {
            let truth = try #require(truthItems.first { $0["recordingId"]?.stringValue == recording.id })
            let file = temporaryFile()
            defer { close(file.descriptor); unlink(file.path) }
            let download = try await blocking { try client.downloadRecording(contentURI: recording.contentURI, to: file.descriptor) }
            #expect(download.sha256 == truth["sha256"]?.stringValue, "a retried download leaves no partial bytes behind")
            #expect(Int64(lseek(file.descriptor, 0, SEEK_END)) == download.bytes)
        }
        let injected = sim.stats["faultsInjected"]?.objectValue?.members.reduce(0) { $0 + $1.value.int } ?? 0
        #expect(injected > 0, "the fault actually fired")
        #expect(sim.stats["requestsInPenalty"]?.int == 0)
    }

    @Test func persistentServerErrorsEndInATypedFailure() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client(maximumAttempts: 3)
        _ = try await blocking { try client.login() }
        sim.setFaults(#"{"serverErrorShare": 1}"#)
        await #expect {
            _ = try await blocking { try client.accountInfo() }
        } throws: { error in
            guard case RingCentralError.retriesExhausted(let status, 3, _) = error else { return false }
            return status == 500 || status == 503
        }
    }

    @Test func unreachableServerIsATypedTransportError() async throws {
        // Bind a port, then close it: nothing listens there.
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketDescriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketDescriptor, $0, &length) } }
        close(socketDescriptor)
        let port = UInt16(bigEndian: address.sin_port)
        var retry = RetryPolicy()
        retry.initialDelaySeconds = 0.01
        retry.maximumAttempts = 3
        let client = RingCentralClient(credentials: RingCentralCredentials(serverURL: "http://127.0.0.1:\(port)", clientId: "c",
                                                                           clientSecret: "s", jwt: "j"), retry: retry)
        await #expect {
            _ = try await blocking { try client.accountInfo() }
        } throws: { error in
            guard case RingCentralError.transport(let transport, 3) = error else { return false }
            return transport.kind == .couldNotConnect
        }
    }
}
