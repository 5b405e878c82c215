import CurlHTTP
import Dispatch
import Logging
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// Numbers a server sends (`Retry-After`, `X-Rate-Limit-*`, `expires_in`) are clamped or ignored:
/// none traps, none parks the run, and a wait too long to sit out stops that group's work.
@Suite struct ServerNumberTests {
    // MARK: Retry-After on the governor

    /// Text that is not a finite non-negative number of seconds is absent: the default penalty applies.
    @Test(arguments: ["inf", "-inf", "nan", "-5", "1e400", "abc", "", "Wed, 21 Oct 2026 07:28:00 GMT", "0x"])
    func unusableRetryAfterMeansTheDefaultPenalty(_ value: String) async throws {
        let governor = RateGovernor(defaultRetryAfterSeconds: 0.3)
        #expect(governor.acquire(.heavy))
        let before = monotonicSeconds()
        governor.finish(.heavy, status: 429, headers: HTTPHeaders([("Retry-After", value)]))
        let end = governor.penaltyEnd(.heavy)
        #expect(end != nil, "a 429 always starts a penalty (Retry-After \(value))")
        #expect((end ?? .infinity) - before < 1, "the 0.3 s default, not \(value)")
        #expect(governor.stoppedFor(.heavy) == nil)
        guard let end, end - before < 1 else { return }  // a broken clamp would make the next admit hang
        // Waited out on a GCD thread, not on the two cooperative threads other suites share.
        let admission = try await blocking { governor.admit(.heavy) }
        #expect(admission == .granted, "admitted once the default penalty has passed")
        #expect(monotonicSeconds() - before >= 0.3)
    }

    /// A finite Retry-After beyond 15 minutes stops the group at once; it sends nothing more (which
    /// would restart the penalty) and other groups are unaffected. 900 s itself is sat out.
    @Test(arguments: [(429, "3600"), (429, "1e20"), (503, "1e20"), (500, "901")])
    func retryAfterBeyondFifteenMinutesStopsTheGroup(status: Int, value: String) {
        let governor = RateGovernor()
        #expect(governor.acquire(.heavy))
        governor.finish(.heavy, status: status, headers: HTTPHeaders([("Retry-After", value)]))
        #expect(governor.stoppedFor(.heavy) == Double(value)!, "stopped by the answer itself")
        // Not stopped, the group may hold a penalty of `value` seconds: asking to send would block.
        guard governor.stoppedFor(.heavy) != nil else { return }
        let started = monotonicSeconds()
        // A wrong grant is released at once, or the next admission would wait on it for ever.
        func admit() -> RateGovernor.Admission {
            let admission = governor.admit(.heavy)
            if admission == .granted { governor.finish(.heavy, status: 200, headers: nil) }
            return admission
        }
        #expect(admit() == .stopped(seconds: Double(value)!))
        #expect(admit() == .stopped(seconds: Double(value)!), "stays stopped for the run")
        #expect(monotonicSeconds() - started < 0.5, "answered at once, no sleep")
        #expect(governor.statistics[.heavy]?.stoppedForSeconds == Double(value)!)
        #expect(governor.admit(.light) == .granted, "other groups go on")
    }

    @Test func fifteenMinutesIsSatOutNotStopped() {
        let governor = RateGovernor()
        #expect(governor.acquire(.heavy))
        let before = monotonicSeconds()
        governor.finish(.heavy, status: 429, headers: HTTPHeaders([("Retry-After", "900")]))
        #expect(governor.stoppedFor(.heavy) == nil)
        let end = governor.penaltyEnd(.heavy) ?? 0
        #expect(end - before >= 900 && end - before < 960)
    }

    // MARK: X-Rate-Limit-* on the governor

    /// Absurd budgets neither trap nor stall: the next admission is answered promptly (granted, or
    /// stopped when the clamped window would still mean a wait beyond 15 minutes).
    @Test(arguments: [
        ("0", "0", "0"), ("-5", "-1", "-9223372036854775808"), ("1e20", "1e20", "1e20"),
        ("99999999999999999999999", "inf", "nan"), ("9223372036854775807", "1", "-9223372036854775807"),
        ("40", "1e20", "0"), ("nan", "1e-300", "-1e20"), ("2", "0.000001", "9223372036854775807"),
    ])
    func absurdRateLimitHeadersNeitherTrapNorStall(limit: String, window: String, remaining: String) async throws {
        let governor = RateGovernor()
        let headers = HTTPHeaders([("X-Rate-Limit-Limit", limit), ("X-Rate-Limit-Window", window), ("X-Rate-Limit-Remaining", remaining)])
        // Every admission runs on a thread with a deadline, so a stalled governor fails instead of hanging.
        let deadline = CancellationFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { deadline.cancel(reason: "deadline") }
        let (admissions, elapsed) = try await blocking {
            timed {
                var admissions: [RateGovernor.Admission] = []
                for _ in 0..<3 {
                    let admission = governor.admit(.medium, cancellation: deadline)
                    admissions.append(admission)
                    guard admission == .granted else { break }  // stopped: a clamped window still too long to wait
                    governor.finish(.medium, status: 200, headers: headers)
                }
                return admissions
            }
        }
        #expect(!admissions.contains(.cancelled), "stalled on limit \(limit), window \(window), remaining \(remaining)")
        #expect(elapsed < 4.5, "a whole window (at most 1.1 s here) per admission at worst")
        let statistics = governor.statistics[.medium]
        if let learned = statistics?.limit { #expect((1...1_000_000).contains(learned)) }
        if let learned = statistics?.window { #expect(learned >= 0.01 && learned <= 3600) }
    }

    @Test func aZeroLimitStillPacesAtOnePerWindow() {
        let governor = RateGovernor()
        #expect(governor.acquire(.light))
        governor.finish(.light, status: 200, headers: HTTPHeaders([("X-Rate-Limit-Limit", "0"), ("X-Rate-Limit-Window", "0.2")]))
        #expect(governor.statistics[.light]?.limit == 1)
        #expect(governor.statistics[.light]?.window == 0.2)
    }

    // MARK: The client against a scripted server

    static func client(_ server: ScriptedServer, governor: RateGovernor = RateGovernor(), logger: Logger = Logger(label: "test"),
                       source: String? = nil, tokenLifetimeBounds: ClosedRange<Double> = 60...(86_400 * 30)) -> RingCentralClient {
        var retry = RetryPolicy()
        retry.initialDelaySeconds = 0.02
        retry.maximumDelaySeconds = 0.1
        retry.maximumAttempts = 4
        return RingCentralClient(credentials: RingCentralCredentials(serverURL: server.baseURL, clientId: "scripted-id",
                                                                     clientSecret: "scripted-secret", jwt: "eyJscripted.jwt.sig",
                                                                     source: source),
                                 governor: governor, retry: retry, logger: logger, tokenLifetimeBounds: tokenLifetimeBounds)
    }

    static let accountPath = "GET /restapi/v1.0/account/~"
    static let tokenPath = "POST /restapi/oauth/token"

    /// A 429 or 5xx asking for more than 15 minutes ends the call with a typed error at once, and
    /// the group sends nothing more this run (a request inside the penalty would restart it).
    @Test(arguments: [(429, "3600"), (503, "3600"), (429, "1e20"), (503, "1e20"), (500, " 7200 ")])
    func aLongPenaltyStopsThatWorkWithAClearMessage(status: Int, value: String) async throws {
        let server = try ScriptedServer { _, path, _ in
            path == "/restapi/oauth/token" ? .token() : .json(status, #"{"errorCode":"CMN-301","message":"Request rate exceeded"}"#,
                                                               headers: [("Retry-After", value)])
        }
        let client = Self.client(server)
        var messages: [String] = []
        for _ in 0..<2 {
            // Timed on the calling GCD thread: the figure is the client's, not the test scheduler's.
            let (result, elapsed) = try await blocking { timed { Result { () throws(RingCentralError) in try client.accountInfo() } } }
            #expect(elapsed < 2, "nothing slept")
            guard case .failure(let error) = result else {
                Issue.record("the call succeeded")
                continue
            }
            messages.append("\(error)")
            guard case .penaltyTooLong(.light, let seconds, _) = error else {
                Issue.record("unexpected \(error)")
                continue
            }
            #expect(seconds == Double(value.trimmingCharacters(in: .whitespaces)))
        }
        #expect(server.count(Self.accountPath) == 1, "the stopped group sent nothing more")
        let minutes = value.contains("1e20") ? "more than a year" : "\(Int(Double(value.trimmingCharacters(in: .whitespaces))! / 60)) minutes"
        #expect(messages.first?.contains("RingCentral asked ringlog to wait \(minutes) before more Light requests") == true, "\(messages)")
        #expect(messages.first?.contains("this run stops that work, the next scheduled run resumes") == true)
        // Other groups are not stopped: the login (Auth) went through, and would again.
        #expect(client.governor.stoppedFor(.auth) == nil)
    }

    /// A 503 whose Retry-After is not a usable number is retried with the normal backoff (before the
    /// clamp, "inf" made the client sleep for ever, or trap converting it to a timespec).
    @Test(arguments: ["inf", "nan", "-5", "1e400", "soon"])
    func aServerErrorWithAnUnusableRetryAfterIsRetriedWithBackoff(_ value: String) async throws {
        let server = try ScriptedServer { _, path, count in
            if path == "/restapi/oauth/token" { return .token() }
            return count == 1 ? .json(503, #"{"errorCode":"CMN-211","message":"Service unavailable"}"#, headers: [("Retry-After", value)])
                : .account
        }
        let client = Self.client(server)
        let (account, elapsed) = try await blocking { try timed { try client.accountInfo() } }
        #expect(account.id == "400131000008")
        #expect(server.count(Self.accountPath) == 2)
        #expect(elapsed < 2, "the normal backoff, not the Retry-After")
    }

    /// Retry settings that make no sense (negative, NaN) give no backoff rather than a trap in
    /// `Double.random(in:)`.
    @Test(arguments: [-1.0, Double.nan])
    func nonsenseRetrySettingsDoNotTrap(_ delay: Double) async throws {
        let server = try ScriptedServer { _, path, count in
            if path == "/restapi/oauth/token" { return .token() }
            return count == 1 ? .json(500, #"{"errorCode":"CMN-211"}"#) : .account
        }
        var retry = RetryPolicy()
        retry.initialDelaySeconds = delay
        retry.maximumDelaySeconds = delay
        let client = RingCentralClient(credentials: RingCentralCredentials(serverURL: server.baseURL, clientId: "i", clientSecret: "s", jwt: "j"),
                                       retry: retry)
        let account = try await blocking { try client.accountInfo() }
        #expect(account.id == "400131000008")
        #expect(server.count(Self.accountPath) == 2)
    }

    /// `expires_in` that is not a sane lifetime (not finite, under a minute, over 30 days, absent)
    /// becomes 3600 s: no trap, no log-in per request, no token kept for ever.
    @Test(arguments: ["1e400", "-1", "0", "5", "1e20", "2592001", "\"3600\"", "null"])
    func anAbsurdTokenLifetimeFallsBackToAnHour(_ literal: String) async throws {
        let server = try ScriptedServer { _, path, _ in path == "/restapi/oauth/token" ? .token(expiresIn: literal) : .account }
        let capture = LogCapture()
        let client = Self.client(server, logger: capture.logger)
        for _ in 0..<3 { _ = try await blocking { try client.accountInfo() } }
        #expect(server.count(Self.tokenPath) == 1, "one login serves the run (expires_in \(literal))")
        let lines = capture.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("token valid for 3600 s") }, "\(lines)")
    }

    @Test func aSaneTokenLifetimeIsKept() async throws {
        let server = try ScriptedServer { _, path, _ in path == "/restapi/oauth/token" ? .token(expiresIn: "600") : .account }
        let capture = LogCapture()
        let client = Self.client(server, logger: capture.logger)
        _ = try await blocking { try client.accountInfo() }
        #expect(capture.lines.withLock { $0 }.contains { $0.contains("token valid for 600 s") })
    }

    // MARK: Messages an admin can act on

    /// A URL that is not RingCentral's API says so, instead of blaming the credentials.
    @Test(arguments: [
        (404, "text/html", "<html><body>Not Found</body></html>"),
        (200, "text/html", "<html><body>Welcome to nginx!</body></html>"),
        (200, "application/json", "{}"),
        (405, "text/plain", "Method Not Allowed"),
        (401, "application/json", #"{"message":"Unauthorized"}"#),
        (400, "text/html", "<h1>Bad Request</h1>"),
    ])
    func aServerThatIsNotRingCentralIsNamedAsSuch(status: Int, contentType: String, body: String) async throws {
        let server = try ScriptedServer { _, _, _ in .init(status, headers: [("Content-Type", contentType)], body: body) }
        let client = Self.client(server, source: "secrets file /etc/ringlog/t.json")
        var message = ""
        await #expect {
            _ = try await blocking { try client.accountInfo() }
        } throws: { error in
            message = "\(error)"
            guard case RingCentralError.notRingCentral(let url, status, "POST /restapi/oauth/token", _) = error else { return false }
            return url == server.baseURL
        }
        #expect(message.hasPrefix("\(server.baseURL) does not look like a RingCentral API server (HTTP \(status) from POST /restapi/oauth/token"),
                "\(message)")
        #expect(message.hasSuffix("); check the server URL"))
        #expect(!message.contains("credentials") && !message.contains("scripted-secret") && !message.contains("eyJscripted"))
        if status == 404 {
            #expect(message == "\(server.baseURL) does not look like a RingCentral API server (HTTP 404 from POST /restapi/oauth/token); check the server URL")
        }
    }

    /// Only a 400/401 with an OAuth error is a refusal of the credentials, and it names where they came from.
    @Test(arguments: [
        (400, #"{"error":"invalid_grant","error_description":"Invalid resource owner credentials","errors":[{"errorCode":"OAU-140"}]}"#),
        (401, #"{"errorCode":"OAU-123","message":"Invalid client"}"#),
        (401, #"{"error":"invalid_client"}"#),
    ])
    func refusedCredentialsNameTheirSource(status: Int, body: String) async throws {
        let server = try ScriptedServer { _, _, _ in .json(status, body) }
        let client = Self.client(server, source: "secrets file /etc/ringlog/t.json")
        var message = ""
        await #expect {
            _ = try await blocking { try client.accountInfo() }
        } throws: { error in
            message = "\(error)"
            guard case RingCentralError.authenticationFailed(status, _, server.baseURL, "secrets file /etc/ringlog/t.json") = error else { return false }
            return true
        }
        #expect(message.contains("RingCentral at \(server.baseURL) refused the credentials from secrets file /etc/ringlog/t.json (HTTP \(status)"),
                "\(message)")
        #expect(!message.contains("does not look like"))
        #expect(!message.contains("scripted-secret") && !message.contains("eyJscripted"), "no secret in \(message)")
    }

    @Test func credentialsFromTheEnvironmentSaySo() throws {
        let environment = ["RC_SERVER_URL": "https://platform.ringcentral.com", "RC_APP_CLIENT_ID": "id", "RC_APP_CLIENT_SECRET": "s3cr3t",
                           "RC_USER_JWT": "eyJhbGciOi.payload.sig"]
        let credentials = try RingCentralCredentials.fromEnvironment(environment).get()
        #expect(credentials.source == "environment variables RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT")
        let error = RingCentralError.authenticationFailed(status: 400, body: nil, server: credentials.serverURL, source: credentials.source)
        #expect("\(error)".contains("refused the credentials from environment variables RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT"))
        #expect(!"\(credentials)".contains("s3cr3t") && !"\(credentials)".contains("eyJhbGciOi"))
        // The initializer without a source still compiles and leaves it unset.
        #expect(RingCentralCredentials(serverURL: "https://x", clientId: "i", clientSecret: "s", jwt: "j").source == nil)
    }
}

/// `body`'s result and how long it took, measured on the thread that ran it.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let started = monotonicSeconds()
    let value = try body()
    return (value, monotonicSeconds() - started)
}
