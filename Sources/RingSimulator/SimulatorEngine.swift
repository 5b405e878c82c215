import RinglogSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The simulated RingCentral service: routing, OAuth, rate limits and faults around the endpoint
/// handlers. Independent of any web server, so tests can drive it directly and the server glue stays thin.
public final class SimulatorEngine: Sendable {
    public let configuration: SimulatorConfiguration
    let state: Mutex<EngineState>

    public init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        let start = configuration.startTime ?? Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch / 60_000 * 60_000)
        state = Mutex(EngineState(configuration: configuration, start: start))
    }

    /// Set once the server knows its port; every URI in a payload is built from it.
    public func setPort(_ port: UInt16) {
        let urls = SimulatorURLs(port: port, domain: configuration.hostDomain, singleHost: configuration.singleHost)
        state.withLock { $0.urls = urls }
    }

    public var urls: SimulatorURLs { state.withLock { $0.urls } }
    /// The API URL (`urls.platform`).
    public var baseURL: String { urls.platform }

    /// Credentials per account, as printed on the startup line.
    public var credentials: [SimCredentials] {
        state.withLock { state in
            state.world.accounts.map {
                SimCredentials(accountId: $0.id, clientId: $0.clientId, clientSecret: $0.clientSecret, jwt: $0.jwt,
                               ownerExtensionId: $0.ownerExtensionId, extensionJwts: $0.extensionJwts)
            }
        }
    }

    public func handle(_ request: SimRequest) -> SimResponse {
        state.withLock { state in
            state.route(request)
        }
    }
}

public struct SimCredentials: Sendable {
    public let accountId: String
    public let clientId: String
    public let clientSecret: String
    public let jwt: String
    public let ownerExtensionId: String
    /// A JWT per User extension (the owner's is `jwt`): same app, a login as that user.
    public let extensionJwts: [(extensionId: String, jwt: String)]
}

struct AccessToken {
    let accountIndex: Int
    /// The user the token acts for: `~` in paths, whose mailbox it may read, its own rate-limit budget.
    let extensionId: String
    let expiresAtMonotonic: Double
    let sessionId: String
    /// Requests this token has authorised; the invalidation fault spares a token's first use, as a
    /// real session ends after use, not at birth (so one re-login always suffices).
    var uses = 0

    /// Rate limits count per app (one per account here) and user.
    var principal: String { "account-\(accountIndex)/\(extensionId)" }
}

struct GroupStats {
    var requests = 0
    var throttled = 0
    var inPenalty = 0
}

struct EngineState {
    let configuration: SimulatorConfiguration
    var world: World
    var urls = SimulatorURLs(port: 80, domain: "sim.localhost", singleHost: true)
    /// API host: record `uri`s, paging links.
    var baseURL: String { urls.platform }
    /// Media host: `contentUri`, attachment `uri`, content redirects.
    var mediaURL: String { urls.media }
    // Clock: simulated now = start + (monotonic - monotonicStart) * speed + offset.
    let start: Timestamp
    let monotonicStart: Double
    var offsetMilliseconds: Int64 = 0
    var rateLimiter: RateLimiter
    var faults: FaultSettings
    var faultRandom: SeededRandom
    var accessTokens: [String: AccessToken] = [:]
    /// Tokens revoked or superseded: their use answers 401 OAU-213 "Token not found".
    var invalidatedTokens: Set<String> = []
    var injectedErrors: [InjectedError] = []
    var tokenSerial: UInt64 = 0
    /// Sync tokens carry the generation they were issued in; `expire-sync-tokens` bumps it.
    var syncGeneration: [Int] 
    var groupStats: [RateGroup: GroupStats] = [:]
    var faultCounts: [String: Int] = [:]
    var digestCache: [String: (sha256: String, size: Int)] = [:]
    var authLogins = 0
    var revocations = 0
    var unauthorized = 0

    init(configuration: SimulatorConfiguration, start: Timestamp) {
        self.configuration = configuration
        self.start = start
        world = World(configuration: configuration, start: start)
        monotonicStart = monotonicSeconds()
        rateLimiter = RateLimiter(limits: configuration.rateLimits, timeScale: configuration.timeScale)
        faults = configuration.faults
        faultRandom = SeededRandom(seed: configuration.seed, 99)
        syncGeneration = Array(repeating: 1, count: configuration.accounts)
    }

    var now: Timestamp {
        let elapsed = (monotonicSeconds() - monotonicStart) * configuration.clockSpeed
        return start.adding(seconds: elapsed).adding(milliseconds: offsetMilliseconds)
    }

    // MARK: Routing

    mutating func route(_ request: SimRequest) -> SimResponse {
        if request.path.hasPrefix("/__sim/") { return control(request) }
        if request.path.hasPrefix("/__media/") { return media(request) }
        if request.path == "/restapi/oauth/token" || request.path == "/restapi/oauth/revoke" {
            return oauth(request)
        }
        guard let route = ApiRoute(path: request.path, method: request.method) else {
            return .apiError(404, code: "CMN-120", message: "Resource for parameter [uri] is not found")
        }
        guard let (tokenValue, token) = authenticate(request) else {
            unauthorized += 1
            return unauthenticated(request)
        }
        accessTokens[tokenValue]?.uses += 1
        let principal = token.principal
        var response = admitted(principal: principal, group: route.group) { state -> SimResponse in
            if let injected = state.takeInjectedError(for: request) {
                return state.response(for: injected, request: request, tokenValue: tokenValue)
            }
            if let fault = state.injectFault(tokenValue: tokenValue, principal: principal, group: route.group) { return fault }
            guard route.accountSegment == "~" || route.accountSegment == state.world.accounts[token.accountIndex].id else {
                return .apiError(404, code: "CMN-102", message: "Resource for parameter [accountId] is not found",
                                 parameterName: "accountId", parameterValue: route.accountSegment)
            }
            return state.endpoint(route, request: request, token: token)
        }
        if response.delivery == .complete, response.delaySeconds == 0, request.method == "GET" {
            applyBodyFaults(&response)
        }
        return response
    }

    func bearerToken(_ request: SimRequest) -> String? {
        guard let header = request.headers["authorization"], header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst(7))
    }

    func authenticate(_ request: SimRequest) -> (String, AccessToken)? {
        guard let value = bearerToken(request), let token = accessTokens[value], token.expiresAtMonotonic > monotonicSeconds() else { return nil }
        return (value, token)
    }

    /// Why a bearer token is refused: revoked or superseded (OAU-213), expired (OAU-128), or never
    /// issued / no header (OAU-149).
    func unauthenticated(_ request: SimRequest) -> SimResponse {
        if let value = bearerToken(request) {
            if invalidatedTokens.contains(value) { return .tokenNotFound() }
            if accessTokens[value] != nil { return .oauthError(401, error: "invalid_token", code: "OAU-128", message: "Access token expired") }
        }
        return .oauthError(401, error: "invalid_token", code: "OAU-149", message: "Invalid Authorization header / access token")
    }

    /// Rate-limit accounting, then `body`; every response carries the group's `X-Rate-Limit-*` headers.
    mutating func admitted(principal: String, group: RateGroup, _ body: (inout EngineState) -> SimResponse) -> SimResponse {
        let clock = monotonicSeconds()
        let decision = rateLimiter.admit(principal: principal, group: group, now: clock)
        groupStats[group, default: GroupStats()].requests += 1
        var response: SimResponse
        if decision.allowed {
            response = body(&self)
        } else {
            groupStats[group, default: GroupStats()].throttled += 1
            if decision.inPenalty { groupStats[group, default: GroupStats()].inPenalty += 1 }
            response = .apiError(429, code: "CMN-301", message: "Request rate exceeded")
            response.headers.append(("Retry-After", formatSeconds(decision.retryAfter)))
        }
        let remaining = response.status == 429 ? 0 : rateLimiter.remaining(principal: principal, group: group, now: clock)
        if response.rateHeaders != .none {
            response.headers += [
                ("X-Rate-Limit-Group", group.rawValue.lowercased()),
                ("X-Rate-Limit-Limit", String(rateLimiter.limit(group))),
                ("X-Rate-Limit-Remaining", String(max(0, remaining))),
            ]
        }
        if response.rateHeaders == .all { response.headers.append(("X-Rate-Limit-Window", formatSeconds(rateLimiter.window(group)))) }
        return response
    }

    /// Faults decided before the handler runs. Returns a response to send instead, or nil.
    mutating func injectFault(tokenValue: String, principal: String, group: RateGroup) -> SimResponse? {
        if faultRandom.chance(faults.burst429Share) {
            faultCounts["burst429", default: 0] += 1
            groupStats[group, default: GroupStats()].throttled += 1
            rateLimiter.startPenalty(principal: principal, group: group, now: monotonicSeconds())
            var response = SimResponse.apiError(429, code: "CMN-301", message: "Request rate exceeded")
            response.headers.append(("Retry-After", formatSeconds(rateLimiter.penalty(group))))
            return response
        }
        if faultRandom.chance(faults.tokenInvalidationShare), (accessTokens[tokenValue]?.uses ?? 0) > 1 {
            faultCounts["tokenInvalidation", default: 0] += 1
            accessTokens[tokenValue] = nil  // gone, as if expired early: OAU-128 now, OAU-149 on reuse
            return .oauthError(401, error: "invalid_token", code: "OAU-128", message: "Access token expired")
        }
        if faultRandom.chance(faults.serverErrorShare) {
            faultCounts["serverError", default: 0] += 1
            if faultRandom.chance(0.5) {
                var response = SimResponse.apiError(503, code: "CMN-201", message: "Service Temporary Unavailable")
                response.headers.append(("Retry-After", "1"))
                return response
            }
            return .apiError(500, code: "CMN-203", message: "Internal Server Error")
        }
        return nil
    }

    /// Faults that damage an otherwise good response on its way out.
    mutating func applyBodyFaults(_ response: inout SimResponse) {
        if faultRandom.chance(faults.slowShare) {
            faultCounts["slow", default: 0] += 1
            response.delaySeconds = faults.slowSeconds
        } else if faultRandom.chance(faults.connectionResetShare) {
            faultCounts["connectionReset", default: 0] += 1
            response.delivery = .resetAfterHeaders
        } else if response.body.count > 1, faultRandom.chance(faults.truncatedBodyShare) {
            faultCounts["truncatedBody", default: 0] += 1
            response.delivery = .truncated
        }
    }
}

/// The API paths the simulator serves, parsed once, with their rate-limit group (the spec's
/// `x-throttling-group`).
struct ApiRoute {
    enum Endpoint {
        case accountInfo, extensionList, extensionInfo(String), callLog, callLogRecord(String), callLogSync
        case recording(String), recordingContent(String)
        case messageList(String), message(String, String), messageContent(String, String, String), messageSync(String)
        /// `/ai/ringsense/v1/public/accounts/{accountId}/domains/{domain}/records|sessions/{id}/insights`.
        case insights(domain: String, id: String, session: Bool)
    }

    let accountSegment: String
    let endpoint: Endpoint

    var group: RateGroup {
        switch endpoint {
        case .callLog, .callLogRecord, .callLogSync, .recording, .recordingContent: .heavy
        case .extensionList, .messageContent: .medium
        case .accountInfo, .extensionInfo, .messageList, .message, .messageSync, .insights: .light
        }
    }

    /// The account-level call log (list, single record, sync): company-wide data.
    var isCompanyCallLog: Bool {
        switch endpoint {
        case .callLog, .callLogRecord, .callLogSync: true
        default: false
        }
    }

    init?(path: String, method: String) {
        guard method == "GET" else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 12, parts[0] == "", parts[1] == "ai", parts[2] == "ringsense", parts[3] == "v1", parts[4] == "public",
            parts[5] == "accounts", !parts[6].isEmpty, parts[7] == "domains", parts[9] == "records" || parts[9] == "sessions",
            !parts[10].isEmpty, parts[11] == "insights" {
            accountSegment = parts[6]
            endpoint = .insights(domain: parts[8], id: parts[10], session: parts[9] == "sessions")
            return
        }
        guard parts.count >= 5, parts[0] == "", parts[1] == "restapi", parts[2] == "v1.0", parts[3] == "account",
            !parts[4].isEmpty
        else { return nil }
        accountSegment = parts[4]
        let rest = Array(parts.dropFirst(5))
        switch rest.count {
        case 0: endpoint = .accountInfo
        case 1:
            switch rest[0] {
            case "extension": endpoint = .extensionList
            case "call-log": endpoint = .callLog
            case "call-log-sync": endpoint = .callLogSync
            default: return nil
            }
        case 2:
            switch rest[0] {
            case "extension": endpoint = .extensionInfo(rest[1])
            case "call-log": endpoint = .callLogRecord(rest[1])
            case "recording": endpoint = .recording(rest[1])
            default: return nil
            }
        case 3:
            if rest[0] == "recording", rest[2] == "content" { endpoint = .recordingContent(rest[1]) }
            else if rest[0] == "extension", rest[2] == "message-store" { endpoint = .messageList(rest[1]) }
            else if rest[0] == "extension", rest[2] == "message-sync" { endpoint = .messageSync(rest[1]) }
            else { return nil }
        case 4:
            guard rest[0] == "extension", rest[2] == "message-store" else { return nil }
            endpoint = .message(rest[1], rest[3])
        case 6:
            guard rest[0] == "extension", rest[2] == "message-store", rest[4] == "content" else { return nil }
            endpoint = .messageContent(rest[1], rest[3], rest[5])
        default:
            return nil
        }
    }
}
