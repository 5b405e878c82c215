import CurlHTTP
import RinglogSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// RingCentral's usage-plan groups. Budgets are not hard-coded: each group's limit and window are
/// learned from the `X-Rate-Limit-*` headers of its responses.
public enum RateLimitGroup: String, Sendable, CaseIterable, Hashable {
    case heavy, medium, light, auth
}

/// Per-group request pacing inside the client.
///
/// - Paces: once a group's limit L and window W are known, a token bucket refills at L/W (less a
///   small margin) and holds at most `burst` (2) requests, so the budget is spent evenly instead of
///   in a burst followed by a 429, while a lone pair (log in, then revoke) is not kept waiting.
/// - Counts: a local sliding log never lets more than L requests into any window of W (stretched by
///   the margin, since the server sees our requests a little later than we send them).
/// - Defers to the server: when `X-Rate-Limit-Remaining` says the budget is gone although we did not
///   spend it (another client shares it), the group waits a whole window.
/// - Penalties: after a 429 the group sends nothing until `Retry-After` (30 s when absent) has passed,
///   because any request inside the penalty restarts it.
/// - One request in flight per group: a request already on the wire when a 429 arrives would land
///   inside the penalty. Groups are independent, so Heavy downloads and Light message syncs overlap.
public final class RateGovernor: Sendable {
    public struct GroupStatistics: Sendable, Equatable {
        public var requests = 0
        public var throttled = 0
        public var secondsWaited = 0.0
        public var limit: Int?
        public var window: Double?
        public init() {}
    }

    struct GroupState {
        var limit: Int?
        var window: Double?
        var sendTimes: [Double] = []
        /// Pacing bucket: requests that may go now, refilled at L/W since `refilledAt`.
        var tokens: Double?
        var refilledAt = 0.0
        var penaltyUntil = 0.0
        var waitForWindowUntil = 0.0
        var inFlight = false
        var statistics = GroupStatistics()
    }

    /// Margin on learned intervals and windows: covers the latency between our clock and the server's.
    let margin: Double
    let defaultRetryAfter: Double
    let burst: Double
    private let groups = Mutex<[RateLimitGroup: GroupState]>([:])

    public init(margin: Double = 0.1, defaultRetryAfterSeconds: Double = 30, burst: Int = 2) {
        self.margin = margin
        self.burst = Double(max(1, burst))
        self.defaultRetryAfter = defaultRetryAfterSeconds
    }

    /// Blocks until `group` may send, then marks it in flight. Pair with `finish`. Returns false,
    /// marking nothing, as soon as `cancellation` is raised (a run that lost its lease stops waiting).
    @discardableResult
    public func acquire(_ group: RateLimitGroup, cancellation: CancellationFlag? = nil) -> Bool {
        let started = monotonicSeconds()
        while true {
            if cancellation?.isCancelled == true { return false }
            let wait: Double = groups.withLock { groups in
                var state = groups[group] ?? GroupState()
                defer { groups[group] = state }
                let now = monotonicSeconds()
                let earliest = earliestSend(state, now: now)
                if state.inFlight || earliest > now { return state.inFlight ? 0.005 : earliest - now }
                if let rate = refillRate(state) {
                    state.tokens = min(burst, (state.tokens ?? burst) + (now - state.refilledAt) * rate) - 1
                    state.refilledAt = now
                }
                state.inFlight = true
                state.sendTimes.append(now)
                state.statistics.requests += 1
                state.statistics.secondsWaited += now - started
                return -1
            }
            if wait < 0 { return true }
            Self.sleep(seconds: min(wait, 0.25))
        }
    }

    private func earliestSend(_ state: GroupState, now: Double) -> Double {
        var earliest = max(state.penaltyUntil, state.waitForWindowUntil)
        if let rate = refillRate(state), let tokens = state.tokens {
            let available = min(burst, tokens + (now - state.refilledAt) * rate)
            if available < 1 { earliest = max(earliest, now + (1 - available) / rate) }
        }
        if let limit = state.limit, let window = state.window, limit > 0 {
            let span = window * (1 + margin)
            let recent = state.sendTimes.filter { $0 > now - span }
            if recent.count >= limit { earliest = max(earliest, recent[recent.count - limit] + span) }
        }
        return earliest
    }

    /// Requests per second the bucket refills at, once the budget is known.
    private func refillRate(_ state: GroupState) -> Double? {
        guard let limit = state.limit, let window = state.window, limit > 0, window > 0 else { return nil }
        return Double(limit) / (window * (1 + margin))
    }

    /// Records the outcome of the request that `acquire` admitted. `headers` are the response's
    /// (nil after a transport failure).
    public func finish(_ group: RateLimitGroup, status: Int?, headers: HTTPHeaders?) {
        groups.withLock { groups in
            var state = groups[group] ?? GroupState()
            defer { groups[group] = state }
            state.inFlight = false
            let now = monotonicSeconds()
            if let window = state.window { state.sendTimes.removeAll { $0 <= now - window * (1 + margin) * 2 } }
            guard let headers else { return }
            if let limit = headers["X-Rate-Limit-Limit"].flatMap({ Int($0) }), limit > 0 { state.limit = limit }
            if let window = headers["X-Rate-Limit-Window"].flatMap({ Double($0) }), window > 0 { state.window = window }
            if let remaining = headers["X-Rate-Limit-Remaining"].flatMap({ Int($0) }) {
                // The budget is gone and more of it was spent than we sent ourselves (allowing one for
                // clock skew at the window's edge): another client shares it, so wait a whole window.
                if remaining <= 0, let limit = state.limit, let window = state.window,
                    limit - remaining > state.sendTimes.filter({ $0 > now - window * (1 + margin) }).count + 1
                {
                    state.waitForWindowUntil = now + window * (1 + margin)
                }
            }
            state.statistics.limit = state.limit
            state.statistics.window = state.window
            if status == 429 {
                state.statistics.throttled += 1
                let retryAfter = headers["Retry-After"].flatMap { Double($0) } ?? defaultRetryAfter
                state.penaltyUntil = now + retryAfter * (1 + margin / 2) + 0.05
            }
        }
    }

    /// When the group's current penalty ends (monotonic seconds), if it is in one.
    public func penaltyEnd(_ group: RateLimitGroup) -> Double? {
        groups.withLock { groups in
            let until = groups[group]?.penaltyUntil ?? 0
            return until > monotonicSeconds() ? until : nil
        }
    }

    public var statistics: [RateLimitGroup: GroupStatistics] {
        groups.withLock { groups in groups.mapValues(\.statistics) }
    }

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
