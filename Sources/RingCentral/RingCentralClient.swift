import CurlHTTP
import Logging
import RinglogSupport
import Synchronization

/// Bounded retries for transient failures: 5xx, 408, timeouts, resets and truncated bodies.
public struct RetryPolicy: Sendable {
    public var maximumAttempts = 5
    public var initialDelaySeconds = 2.0
    public var maximumDelaySeconds = 60.0
    /// 429s are not failures (the governor waits out the penalty) but are bounded too, so a server
    /// that throttles forever ends in a typed error rather than a hang.
    public var maximumThrottledAttempts = 8

    public init() {}

    /// Exponential backoff with full jitter in [delay/2, delay]. Settings that are negative, NaN or
    /// infinite give no delay rather than a trap in `Double.random(in:)`.
    func delay(afterAttempt attempt: Int) -> Double {
        let exponential = min(maximumDelaySeconds, initialDelaySeconds * Double(1 << min(max(attempt - 1, 0), 20)))
        guard exponential.isFinite, exponential > 0 else { return 0 }
        return exponential / 2 + Double.random(in: 0...(exponential / 2))
    }
}

/// The RingCentral REST client: one login per run (the token is reused and the JWT presented again
/// shortly before `expires_in` runs out), one re-login and retry on 401, the rate-limit governor
/// around every request, bounded retries, and revoke at the end.
///
/// Thread-safe; calls block the calling thread. Secrets never reach a log line or an error.
public final class RingCentralClient: Sendable {
    public let credentials: RingCentralCredentials
    public let governor: RateGovernor
    let http: CurlHTTPClient
    let retry: RetryPolicy
    let logger: Logger
    private let session = Mutex<AccessSession?>(nil)
    private let loginLock = Mutex<Void>(())
    private let trustedHosts: TrustedHosts
    /// Endpoint → how often a re-login did not cure its 401 (see `authorizedGet`). Two, not one: a token can
    /// be invalidated again right after a login (another process logging in), and that must not stop re-logins.
    private let uncuredUnauthorized = Mutex<[String: Int]>([:])
    /// The answer of a login RingCentral refused for the credentials (see `accessToken`).
    private let refusedLogin = Mutex<RingCentralError?>(nil)
    /// This login's own requests, 429s and waits per group: the governor may be shared with other logins
    /// of the same budget (`RateBudgets`), and a run's log counts only what it sent. `stoppedForSeconds`
    /// is this login's stop: once met, the group stays stopped for its run whatever the governor says
    /// later (a shared governor's stop ends when its wait has passed, for the logins that start after).
    private let ownStatistics = Mutex<[RateLimitGroup: RateGovernor.GroupStatistics]>([:])
    static let uncuredUnauthorizedLimit = 2
    private let tokenLifetimeBounds: ClosedRange<Double>

    /// The `expires_in` used when the token response has none, or one outside `tokenLifetimeBounds`.
    public static let fallbackTokenLifetimeSeconds = 3600.0

    struct AccessSession {
        let accessToken: String
        let refreshAt: Double
    }

    public init(credentials: RingCentralCredentials, http: CurlHTTPClient = CurlHTTPClient(),
                governor: RateGovernor = RateGovernor(), retry: RetryPolicy = RetryPolicy(),
                logger: Logger = Logger(label: "ringlog.ringcentral"),
                tokenLifetimeBounds: ClosedRange<Double> = 60...(86_400 * 30)) {
        self.credentials = credentials
        self.http = http
        self.governor = governor
        self.retry = retry
        self.logger = logger
        self.trustedHosts = TrustedHosts(serverURL: credentials.serverURL)
        self.tokenLifetimeBounds = tokenLifetimeBounds
    }

    // MARK: Authentication

    /// Logs in with the JWT grant unless a valid token is held. Called implicitly by every request.
    public func login() throws(RingCentralError) {
        _ = try accessToken()
    }

    /// Ends the OAuth session (every token in it). Failures are logged and ignored, as RingCentral advises.
    public func revoke() {
        guard let token = session.withLock({ current -> String? in
            defer { current = nil }
            return current?.accessToken
        }) else { return }
        let body = "token=" + percentEncode(token)
        do {
            let response = try send(group: .auth, endpoint: "POST /restapi/oauth/revoke") { () throws(TransportError) -> HTTPResponse in
                try http.perform(tokenRequest(path: "/restapi/oauth/revoke", body: body))
            }
            if !response.isSuccess { logger.warning("revoke answered HTTP \(response.status); ignored") }
        } catch {
            logger.warning("revoke failed: \(error); ignored")
        }
    }

    private func accessToken(forceRenewal: Bool = false, replacing stale: String? = nil) throws(RingCentralError) -> String {
        // Refused credentials do not heal within a run: say so again without presenting them once per request.
        if let refused = refusedLogin.withLock({ $0 }) { throw refused }
        if !forceRenewal, let current = session.withLock({ $0 }), current.refreshAt > monotonicSeconds() {
            return current.accessToken
        }
        // One login at a time; a thread that waited here reuses the token the first one obtained.
        return try loginLock.withLock { _ throws(RingCentralError) -> String in
            if let current = session.withLock({ $0 }), current.refreshAt > monotonicSeconds(),
                !forceRenewal || current.accessToken != stale
            {
                return current.accessToken
            }
            return try performLogin()
        }
    }

    private func performLogin() throws(RingCentralError) -> String {
        let body = "grant_type=" + percentEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + percentEncode(credentials.jwt)
        let response = try send(group: .auth, endpoint: "POST /restapi/oauth/token") { () throws(TransportError) -> HTTPResponse in
            try http.perform(tokenRequest(path: "/restapi/oauth/token", body: body))
        }
        let endpoint = "POST /restapi/oauth/token"
        guard response.isSuccess else {
            let body = APIErrorBody(bytes: response.body)
            // Only an OAuth error is about the credentials; anything else means the URL is wrong. RingCentral's
            // error table gives grant and login refusals (OAU-112, OAU-105) as 403.
            if [400, 401, 403].contains(response.status), let body, body.isOAuthError {
                let refused = RingCentralError.authenticationFailed(status: response.status, body: body, server: credentials.serverURL,
                                                                   source: credentials.source)
                refusedLogin.withLock { $0 = refused }
                throw refused
            }
            if let body, body.looksLikeRingCentral { throw .http(status: response.status, body: body, endpoint: endpoint) }
            throw .notRingCentral(server: credentials.serverURL, status: response.status, endpoint: endpoint, detail: nil)
        }
        guard let json = try? JSON.parse(response.body), json.objectValue != nil else {
            throw .notRingCentral(server: credentials.serverURL, status: response.status, endpoint: endpoint, detail: "the answer is not JSON")
        }
        guard let token = json["access_token"]?.stringValue, !token.isEmpty else {
            throw .notRingCentral(server: credentials.serverURL, status: response.status, endpoint: endpoint,
                                  detail: "the answer has no access_token")
        }
        let lifetime = tokenLifetime(json["expires_in"])
        // Present the JWT again before the token runs out: 60 s early, or 10 % early for short lifetimes.
        let refreshAt = monotonicSeconds() + lifetime - min(60, lifetime * 0.1)
        session.withLock { $0 = AccessSession(accessToken: token, refreshAt: refreshAt) }
        logger.info("logged in to \(credentials.serverURL); token valid for \(ServerNumber.clampedInt(lifetime, 0...Int.max)) s")
        return token
    }

    /// `expires_in` when it is a finite number within `tokenLifetimeBounds`, else the 3600 s default.
    private func tokenLifetime(_ value: JSON?) -> Double {
        if let lifetime = value?.doubleValue, lifetime.isFinite, tokenLifetimeBounds.contains(lifetime) { return lifetime }
        let shown = value.map { String($0.serialized().prefix(40)) } ?? "absent"
        logger.notice("token response expires_in \(shown) is not a usable lifetime; assuming \(ServerNumber.clampedInt(Self.fallbackTokenLifetimeSeconds, 0...Int.max)) s")
        return Self.fallbackTokenLifetimeSeconds
    }

    private func tokenRequest(path: String, body: String) -> HTTPRequest {
        let basic = Base64.encode(Array("\(credentials.clientId):\(credentials.clientSecret)".utf8))
        return HTTPRequest(method: .post, url: credentials.serverURL + path,
                           headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded"),
                                     ("Accept", "application/json")],
                           body: Array(body.utf8), totalTimeoutSeconds: 60)
    }

    // MARK: Requests

    /// A GET with the bearer token, through the governor and the retry policy.
    func authorizedGet(_ url: String, group: RateLimitGroup, sink: ResponseSink, endpoint: String,
                       prepareRetry: () -> Void = {}) throws(RingCentralError) -> HTTPResponse {
        guard trustedHosts.allows(url) else { throw .untrustedURL(redactingAccessToken(url)) }
        var token = try accessToken()
        var reauthenticated = false
        while true {
            let response = try send(group: group, endpoint: endpoint, prepareRetry: prepareRetry) { () throws(TransportError) -> HTTPResponse in
                var headers: [(name: String, value: String)] = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
                if case .file = sink { headers[1] = ("Accept", "*/*") }
                // Redirects are followed hop by hop so that the bearer goes on to the server's sibling hosts
                // (curl drops it on any change of host) and never to any other host.
                return try http.perform(HTTPRequest(url: url, headers: headers,
                                                    totalTimeoutSeconds: { if case .memory = sink { return 120 } else { return nil } }()),
                                        sink: sink, keepingAuthorizationFor: trustedHosts.allows)
            }
            if response.status == 401 && !reauthenticated {
                // Twice already a fresh login did not cure this endpoint's 401 (the retry with the new token got
                // 401 too): more logins will not either, and RingCentral allows five a minute. Not one login per item.
                if uncuredUnauthorized.withLock({ $0[endpoint, default: 0] }) >= Self.uncuredUnauthorizedLimit { return response }
                // The token was invalidated (expired, revoked, session limit): log in once more and retry once.
                logger.info("HTTP 401 from \(endpoint); logging in again")
                reauthenticated = true
                prepareRetry()
                token = try accessToken(forceRenewal: true, replacing: token)
                continue
            }
            if response.status == 401 { uncuredUnauthorized.withLock { $0[endpoint, default: 0] += 1 } }
            return response
        }
    }

    /// Requests this login sent, 429s it received and seconds it waited, per group, with the budget
    /// (limit, window, a stop for the run) as the governor knows it.
    public var requestStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] {
        let own = ownStatistics.withLock { $0 }
        let budget = governor.statistics
        var merged: [RateLimitGroup: RateGovernor.GroupStatistics] = [:]
        for group in Set(own.keys).union(budget.keys) {
            var statistics = own[group] ?? RateGovernor.GroupStatistics()
            statistics.limit = budget[group]?.limit
            statistics.window = budget[group]?.window
            merged[group] = statistics
        }
        return merged
    }

    /// Runs `perform` under the governor, retrying transient failures with backoff.
    func send(group: RateLimitGroup, endpoint: String, prepareRetry: () -> Void = {},
              _ perform: () throws(TransportError) -> HTTPResponse) throws(RingCentralError) -> HTTPResponse {
        var failures = 0
        var throttled = 0
        while true {
            if let seconds = ownStatistics.withLock({ $0[group]?.stoppedForSeconds }) {
                throw .penaltyTooLong(group: group, seconds: seconds, endpoint: endpoint)
            }
            let asked = monotonicSeconds()
            switch governor.admit(group, cancellation: http.configuration.cancellation) {
            case .granted:
                let granted = monotonicSeconds()
                ownStatistics.withLock { $0[group, default: RateGovernor.GroupStatistics()].count(requestWaiting: granted - asked) }
            case .cancelled:
                let reason = http.configuration.cancellation?.reason ?? "cancelled"
                throw .transport(TransportError(kind: .cancelled, curlCode: 0, message: reason, url: endpoint), attempts: failures)
            case .stopped(let seconds):
                stopOwn(group, seconds)
                throw .penaltyTooLong(group: group, seconds: seconds, endpoint: endpoint)
            }
            let response: HTTPResponse
            do {
                response = try perform()
            } catch {
                governor.finish(group, status: nil, headers: nil)
                failures += 1
                guard error.isRetryable, failures < retry.maximumAttempts else { throw .transport(error, attempts: failures) }
                let delay = retry.delay(afterAttempt: failures)
                logger.info("\(endpoint): \(error.kind.rawValue); retry \(failures) in \((delay * 10).rounded() / 10) s")
                prepareRetry()
                pause(delay)
                continue
            }
            governor.finish(group, status: response.status, headers: rateLimitHeaders(response))
            if response.status == 429 { ownStatistics.withLock { $0[group, default: RateGovernor.GroupStatistics()].throttled += 1 } }
            logger.debug("\(endpoint) -> \(response.status)")
            switch response.status {
            case 429:
                throttled += 1
                guard throttled < retry.maximumThrottledAttempts else {
                    // Throttled through a whole budget although every penalty was sat out: more requests in
                    // this group would only meet the same answer (minutes each when 429s carry no headers),
                    // so the group stops for the run; its other work waits for the next run.
                    let seconds = governor.statistics[group]?.window ?? RateGovernor.documentedLimits[group]?.window ?? 60
                    governor.stop(group, forSeconds: seconds)
                    stopOwn(group, seconds)
                    throw .retriesExhausted(status: 429, attempts: throttled, endpoint: endpoint)
                }
                logger.notice("\(endpoint): HTTP 429; \(group.rawValue) group paused for its penalty")
                prepareRetry()
            // 501 Not Implemented is not transient: it is not RingCentral. A redirect that reaches here had no
            // Location; RingCentral's guide says to repeat the request then.
            case 408, 500, 502...599, 301, 302, 303, 307, 308:
                // A Retry-After beyond the governor's maximum stops the group: do not sleep it out.
                let retryAfter = ServerNumber.seconds(response.headers["Retry-After"])
                if let retryAfter, retryAfter > governor.maximumPenaltySeconds { governor.stop(group, forSeconds: retryAfter) }
                if let seconds = governor.stoppedFor(group) {
                    stopOwn(group, seconds)
                    throw .penaltyTooLong(group: group, seconds: seconds, endpoint: endpoint)
                }
                failures += 1
                guard failures < retry.maximumAttempts else {
                    throw .retriesExhausted(status: response.status, attempts: failures, endpoint: endpoint)
                }
                let delay = min(max(retryAfter ?? 0, retry.delay(afterAttempt: failures)), governor.maximumPenaltySeconds)
                logger.info("\(endpoint): HTTP \(response.status); retry \(failures) in \((delay * 10).rounded() / 10) s")
                prepareRetry()
                pause(delay)
            default:
                return response
            }
        }
    }

    /// This login's `group` is stopped for its run (see `ownStatistics`).
    private func stopOwn(_ group: RateLimitGroup, _ seconds: Double) {
        ownStatistics.withLock { own in
            if own[group, default: RateGovernor.GroupStatistics()].stoppedForSeconds == nil { own[group]?.stoppedForSeconds = seconds }
        }
    }

    /// Sleeps a retry's backoff in short steps, ending early once the run is told to stop (a signal,
    /// a lost lease): an interrupted run must not sit out a minute's backoff first.
    private func pause(_ seconds: Double) {
        let end = monotonicSeconds() + seconds
        while monotonicSeconds() < end, http.configuration.cancellation?.isCancelled != true {
            RateGovernor.sleep(seconds: min(0.25, end - monotonicSeconds()))
        }
    }

    /// The headers that carry the rate-limit state: the last response in a redirect chain that has them,
    /// with the final response's `Retry-After` (the penalty belongs to the answer that imposed it).
    private func rateLimitHeaders(_ response: HTTPResponse) -> HTTPHeaders {
        var headers = response.headerChain.last { $0["X-Rate-Limit-Group"] != nil } ?? response.headers
        if let retryAfter = response.headers["Retry-After"], headers["Retry-After"] != retryAfter {
            headers.append(name: "Retry-After", value: retryAfter)
        }
        return headers
    }

    /// GET → the body of a 2xx answer, or a typed error for any other.
    private func successfulBody(_ url: String, group: RateLimitGroup, endpoint: String) throws(RingCentralError) -> [UInt8] {
        let response = try authorizedGet(url, group: group, sink: .memory(limit: 64 << 20), endpoint: endpoint)
        guard response.isSuccess else {
            let body = APIErrorBody(bytes: response.body)
            if RingCentralError.isSyncTokenRejection(status: response.status, body: body) {
                throw .syncTokenRejected(body: body, endpoint: endpoint)
            }
            throw .http(status: response.status, body: body, endpoint: endpoint)
        }
        return response.body
    }

    /// GET → parsed JSON, or a typed error for any non-2xx answer.
    func getJSON(_ url: String, group: RateLimitGroup, endpoint: String) throws(RingCentralError) -> JSON {
        let body = try successfulBody(url, group: group, endpoint: endpoint)
        do {
            return try JSON.parse(body)
        } catch {
            throw .invalidResponse(endpoint: endpoint, reason: error.description)
        }
    }

    /// `getJSON` for a list page whose `records` are kept as bytes (`JSON.parse(_:deferringElementsOf:)`):
    /// the body, the page without its records, and their ranges (nil when `records` is not an array).
    func getPageDeferringRecords(_ url: String, group: RateLimitGroup, endpoint: String) throws(RingCentralError)
        -> (body: [UInt8], page: JSON, records: [Range<Int>]?)
    {
        let body = try successfulBody(url, group: group, endpoint: endpoint)
        do {
            let (page, records) = try JSON.parse(body, deferringElementsOf: "records")
            return (body, page, records)
        } catch {
            throw .invalidResponse(endpoint: endpoint, reason: error.description)
        }
    }

    func url(_ path: String, _ query: [(String, String)] = []) -> String {
        let encoded = query.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
        return credentials.serverURL + path + (encoded.isEmpty ? "" : "?" + encoded)
    }
}

/// Bearer tokens go only to the server's own host or its sibling hosts (platform.ringcentral.com →
/// media.ringcentral.com), on the server's port, never to a host named by a payload or a redirect
/// elsewhere. URLs are read by libcurl's own parser (`URLParts`), and ports are compared as numbers
/// with the scheme's default filled in: RingCentral's payloads write `https://media.ringcentral.com:443/…`,
/// the same origin as no port at all.
struct TrustedHosts: Sendable {
    let server: URLParts?
    let siblingSuffix: String?

    init(serverURL: String) {
        server = URLParts(serverURL)
        let host = server?.host ?? ""
        let labels = host.split(separator: ".")
        let isAddress = host.hasPrefix("[") || host.allSatisfy { $0.isNumber || $0 == "." }
        siblingSuffix = labels.count >= 3 && !isAddress ? "." + labels.dropFirst().joined(separator: ".") : nil
    }

    func allows(_ url: String) -> Bool {
        guard let server, let target = URLParts(url) else { return false }
        guard target.scheme == server.scheme || target.scheme == "https" else { return false }  // never down to http
        guard target.port == server.port else { return false }
        if target.host == server.host { return true }
        if let siblingSuffix { return target.host.hasSuffix(siblingSuffix) }
        return false
    }
}
