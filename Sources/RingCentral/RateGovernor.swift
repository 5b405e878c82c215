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
///   small margin) and holds at most `burst` (5) requests, so the budget is spent evenly instead of
///   in a burst followed by a 429, while the requests a stretch of local work left unsent (writing a
///   page of sidecars keeps Heavy idle for a second) catch up instead of being lost to the budget.
/// - Counts: a local sliding log never lets more than L requests into any window of W (stretched by
///   the margin, since the server sees our requests a little later than we send them).
/// - Defers to the server: when `X-Rate-Limit-Remaining` says the budget is gone although we did not
///   spend it (another client shares it), the group waits a whole window.
/// - Penalties: after a 429 the group sends nothing until `Retry-After` has passed (when absent: the
///   group's window, else 30 s), because any request inside the penalty restarts it. A 429 from a
///   group whose headers never gave its budget sets RingCentral's documented default for it.
/// - Never parks: a `Retry-After` (on a 429 or a 5xx) longer than `maximumPenaltySeconds` (15 min), or
///   any other wait the server's numbers would impose beyond it, stops the group for the rest of the
///   run: `admit` answers `.stopped` at once and nothing more is sent in it, so the penalty is not
///   restarted and the next scheduled run resumes the work.
/// - Server numbers are clamped: a `Retry-After` that is not a finite non-negative number is absent;
///   `X-Rate-Limit-Limit` is kept in 1...1_000_000, `-Window` in 0.01...3600 s, `-Remaining` in
///   ±1_000_000; garbage (negative, NaN, non-numeric) is ignored. Nothing a server sends can trap.
/// - One request in flight per group: a request already on the wire when a 429 arrives would land
///   inside the penalty. Groups are independent, so Heavy downloads and Light message syncs overlap.
public final class RateGovernor: Sendable {
    public struct GroupStatistics: Sendable, Equatable {
        public var requests = 0
        public var throttled = 0
        public var secondsWaited = 0.0
        public var limit: Int?
        public var window: Double?
        /// Set when the group was stopped for this run: the wait RingCentral asked for, in seconds.
        public var stoppedForSeconds: Double?
        public init() {}

        mutating func count(requestWaiting seconds: Double) {
            requests += 1
            secondsWaited += seconds
        }
    }

    /// What `admit` decided.
    public enum Admission: Sendable, Equatable {
        /// The request may go; pair it with `finish`.
        case granted
        /// The cancellation flag was raised while waiting.
        case cancelled
        /// The group is stopped for this run: RingCentral asked for a wait of `seconds`, longer than
        /// `maximumPenaltySeconds`. Nothing is sent in this group any more.
        case stopped(seconds: Double)
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
        /// The wait that stopped the group (see `Admission.stopped`), in force until `stoppedUntil`
        /// (monotonic): a login that met the stop remembers it for its run (`RingCentralClient`), while a
        /// login that starts once the wait has passed (another tenant of a shared budget, `RateBudgets`,
        /// later in `sync --all`) is not stopped by a pause that is over.
        var stoppedFor: Double?
        var stoppedUntil = 0.0
        var statistics = GroupStatistics()
    }

    /// RingCentral's default user-level limits per group (developer guide, "Rate limits": Light 50,
    /// Medium 40, Heavy 10, Auth 5 requests per user per 60 s). Apps can have others; the headers win.
    public static let documentedLimits: [RateLimitGroup: (limit: Int, window: Double)] = [
        .heavy: (10, 60), .medium: (40, 60), .light: (50, 60), .auth: (5, 60),
    ]

    /// Margin on learned intervals and windows: covers the latency between our clock and the server's.
    /// A window counts as `window × (1 + margin) + absoluteMargin`: a request reaches the server a few
    /// milliseconds after we count it, and that delay does not grow with the window, so most of the
    /// margin is absolute (pacing at L per 1.1 W left a tenth of the Heavy budget, which bounds how
    /// fast a recording backlog drains, unused).
    let margin: Double
    let absoluteMargin: Double
    let defaultRetryAfter: Double
    let burst: Double
    /// The longest wait the governor sits out; a longer one stops the group for the run.
    public let maximumPenaltySeconds: Double
    private let groups = Mutex<[RateLimitGroup: GroupState]>([:])

    public init(margin: Double = 0.03, absoluteMargin: Double = 0.1, defaultRetryAfterSeconds: Double = 30, burst: Int = 5,
                maximumPenaltySeconds: Double = 900) {
        self.margin = margin.isFinite ? min(max(margin, 0), 1) : 0.03
        self.absoluteMargin = absoluteMargin.isFinite ? min(max(absoluteMargin, 0), 10) : 0.1
        self.burst = Double(max(1, burst))
        self.defaultRetryAfter = defaultRetryAfterSeconds.isFinite ? min(max(defaultRetryAfterSeconds, 0), 900) : 30
        self.maximumPenaltySeconds = maximumPenaltySeconds.isFinite ? max(maximumPenaltySeconds, 0) : 900
    }

    /// Blocks until `group` may send, then marks it in flight. Pair with `finish`. Returns false,
    /// marking nothing, as soon as `cancellation` is raised (a run that lost its lease stops waiting)
    /// or when the group is stopped for this run (see `admit`, which tells the two apart).
    @discardableResult
    public func acquire(_ group: RateLimitGroup, cancellation: CancellationFlag? = nil) -> Bool {
        admit(group, cancellation: cancellation) == .granted
    }

    /// Blocks until `group` may send, then marks it in flight (`.granted`; pair with `finish`).
    /// Answers `.cancelled` as soon as `cancellation` is raised, and `.stopped` at once, marking
    /// nothing, when the group is stopped for this run or the wait would exceed `maximumPenaltySeconds`.
    public func admit(_ group: RateLimitGroup, cancellation: CancellationFlag? = nil) -> Admission {
        let started = monotonicSeconds()
        // Waits up to the longest allowed penalty plus the margins `finish` adds to it are sat out.
        let longestWait = maximumPenaltySeconds * (1 + margin) + 1
        while true {
            if cancellation?.isCancelled == true { return .cancelled }
            enum Step { case wait(Double), granted, stopped(Double) }
            let step: Step = groups.withLock { groups in
                var state = groups[group] ?? GroupState()
                defer { groups[group] = state }
                let now = monotonicSeconds()
                if let stopped = state.stoppedFor {
                    if now < state.stoppedUntil { return .stopped(stopped) }
                    state.stoppedFor = nil
                }
                let earliest = earliestSend(state, now: now)
                if state.inFlight { return .wait(0.005) }
                if earliest > now {
                    let wait = earliest - now
                    guard wait <= longestWait else {
                        state.stoppedFor = wait
                        state.stoppedUntil = earliest
                        state.statistics.stoppedForSeconds = wait
                        return .stopped(wait)
                    }
                    return .wait(wait)
                }
                if let rate = refillRate(state) {
                    state.tokens = min(burst, (state.tokens ?? burst) + (now - state.refilledAt) * rate) - 1
                    state.refilledAt = now
                }
                state.inFlight = true
                state.sendTimes.append(now)
                state.statistics.requests += 1
                state.statistics.secondsWaited += now - started
                return .granted
            }
            switch step {
            case .granted: return .granted
            case .stopped(let seconds): return .stopped(seconds: seconds)
            case .wait(let wait): Self.sleep(seconds: min(wait, 0.25))
            }
        }
    }

    private func earliestSend(_ state: GroupState, now: Double) -> Double {
        var earliest = max(state.penaltyUntil, state.waitForWindowUntil)
        if let rate = refillRate(state), let tokens = state.tokens {
            let available = min(burst, tokens + (now - state.refilledAt) * rate)
            if available < 1 { earliest = max(earliest, now + (1 - available) / rate) }
        }
        if let limit = state.limit, let window = state.window, limit > 0 {
            let span = span(window)
            let recent = state.sendTimes.filter { $0 > now - span }
            if recent.count >= limit { earliest = max(earliest, recent[recent.count - limit] + span) }
        }
        return earliest
    }

    /// Requests per second the bucket refills at, once the budget is known.
    private func refillRate(_ state: GroupState) -> Double? {
        guard let limit = state.limit, let window = state.window, limit > 0, window > 0 else { return nil }
        return Double(limit) / span(window)
    }

    /// A learned window stretched by the margins (see `margin`).
    private func span(_ window: Double) -> Double { window * (1 + margin) + absoluteMargin }

    /// Records the outcome of the request that `acquire` admitted. `headers` are the response's
    /// (nil after a transport failure).
    public func finish(_ group: RateLimitGroup, status: Int?, headers: HTTPHeaders?) {
        groups.withLock { groups in
            var state = groups[group] ?? GroupState()
            defer { groups[group] = state }
            state.inFlight = false
            let now = monotonicSeconds()
            if let window = state.window {
                state.sendTimes.removeAll { $0 <= now - span(window) * 2 }
            } else if state.sendTimes.count > 10_000 {
                state.sendTimes.removeFirst(state.sendTimes.count - 10_000)  // no window learned: keep it bounded
            }
            guard let headers else { return }
            // Server numbers are clamped or ignored, never trusted to fit (see the type's notes).
            if let limit = ServerNumber.parse(headers["X-Rate-Limit-Limit"]), limit >= 0 {
                state.limit = ServerNumber.clampedInt(limit, 1...1_000_000)
            }
            if let window = ServerNumber.parse(headers["X-Rate-Limit-Window"]), window > 0 {
                state.window = min(max(window, 0.01), 3600)
            }
            if let remainingValue = ServerNumber.parse(headers["X-Rate-Limit-Remaining"]) {
                let remaining = ServerNumber.clampedInt(remainingValue, -1_000_000...1_000_000)
                // The budget is gone and more of it was spent than we sent ourselves (allowing one for
                // clock skew at the window's edge): another client shares it, so wait a whole window.
                if remaining <= 0, let limit = state.limit, let window = state.window,
                    limit - remaining > state.sendTimes.filter({ $0 > now - span(window) }).count + 1
                {
                    state.waitForWindowUntil = now + span(window)
                }
            }
            state.statistics.limit = state.limit
            state.statistics.window = state.window
            if status == 429 { state.statistics.throttled += 1 }
            guard let status, status == 429 || (500...599).contains(status) else { return }
            let retryAfter = ServerNumber.seconds(headers["Retry-After"])
            if let retryAfter, retryAfter > maximumPenaltySeconds {
                // Sleeping that long parks the run, and sending inside it restarts it: stop the group.
                state.stoppedFor = retryAfter
                state.stoppedUntil = max(state.stoppedUntil, now + retryAfter * (1 + margin) + absoluteMargin)
                state.statistics.stoppedForSeconds = retryAfter
            } else if status == 429 {
                // RingCentral's limits that answer without headers (account-level, defensive, per-service)
                // still mean a penalty: without `Retry-After`, sit out the group's window, else the default.
                state.penaltyUntil = now + (retryAfter ?? state.window ?? defaultRetryAfter) * (1 + margin) + absoluteMargin
                if state.limit == nil || state.window == nil {
                    // A group that throttles before saying its budget is paced at RingCentral's documented
                    // default from now on (the guide's table), until its headers say otherwise.
                    let documented = RateGovernor.documentedLimits[group] ?? (limit: 10, window: 60)
                    state.limit = state.limit ?? documented.limit
                    state.window = state.window ?? documented.window
                    state.statistics.limit = state.limit
                    state.statistics.window = state.window
                }
            }
        }
    }

    /// Stops `group` for the rest of the run: RingCentral asked for a wait of `seconds`, too long to sit out.
    /// (In force for `seconds`: a login that starts after it, sharing the budget, may send again.)
    public func stop(_ group: RateLimitGroup, forSeconds seconds: Double) {
        groups.withLock { groups in
            var state = groups[group] ?? GroupState()
            let now = monotonicSeconds()
            if state.stoppedFor != nil && now >= state.stoppedUntil { state.stoppedFor = nil }
            state.stoppedFor = state.stoppedFor ?? seconds
            let until = now + (seconds.isFinite ? max(seconds, 0) : 1e12) * (1 + margin) + absoluteMargin
            state.stoppedUntil = max(state.stoppedUntil, until)
            state.statistics.stoppedForSeconds = state.stoppedFor
            groups[group] = state
        }
    }

    /// The wait that stopped `group`, while that stop is in force.
    public func stoppedFor(_ group: RateLimitGroup) -> Double? {
        groups.withLock { groups in
            guard let state = groups[group], let stopped = state.stoppedFor, monotonicSeconds() < state.stoppedUntil else { return nil }
            return stopped
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

    /// Sleeps `seconds` (NaN, negative: not at all; capped at a day, so no value can trap `timespec`).
    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }  // also false for NaN
        let capped = min(seconds, 86_400)
        let whole = capped.rounded(.down)
        var request = timespec(tv_sec: ServerNumber.clampedInt(whole, 0...86_400),
                               tv_nsec: ServerNumber.clampedInt((capped - whole) * 1e9, 0...999_999_999))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// Numbers that come from a server (headers, token responses), made safe to use: text that is not a
/// finite number is absent, and conversions to Int clamp instead of trapping.
enum ServerNumber {
    /// A finite number, or nil for absent, empty, non-numeric, NaN and infinite text
    /// (`Double("inf")`, `Double("nan")` and `Double("1e400")` all parse in Swift).
    static func parse(_ text: String?) -> Double? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: [" ", "\t"])
        guard trimmed.count <= 64, let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }

    /// A `Retry-After` in seconds: a finite non-negative number, else nil (the documented default
    /// applies). An HTTP-date form is treated as absent too.
    static func seconds(_ text: String?) -> Double? {
        guard let value = parse(text), value >= 0 else { return nil }
        return value
    }

    /// `value` converted to Int within `range`; NaN gives the lower bound. Never traps.
    static func clampedInt(_ value: Double, _ range: ClosedRange<Int>) -> Int {
        if value.isNaN { return range.lowerBound }
        // Double(upperBound) may round up past upperBound (Int.max → 2^63), so compare before converting.
        if value >= Double(range.upperBound) { return range.upperBound }
        if value <= Double(range.lowerBound) { return range.lowerBound }
        return min(max(Int(value), range.lowerBound), range.upperBound)
    }
}

extension String {
    fileprivate func trimmingCharacters(in characters: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
