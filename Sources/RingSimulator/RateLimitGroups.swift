/// RingCentral's usage-plan groups with their default per-user limits (requests per 60 s window,
/// 60 s penalty): developers.ringcentral.com/guide/basics/rate-limits.
public enum RateGroup: String, Sendable, CaseIterable {
    case heavy = "Heavy", medium = "Medium", light = "Light", auth = "Auth"

    var defaultLimit: Int {
        switch self {
        case .heavy: 10
        case .medium: 40
        case .light: 50
        case .auth: 5
        }
    }
}

/// An app's limits: the guide calls the defaults examples that "can be customized and vary among
/// apps"; a 2017 capture shows `x-rate-limit-limit: 200` for the auth group (ringcentral-ts
/// src/RestClient-test.ts). Limits count per app and user.
public struct RateLimits: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public var requests: Int
        /// The window, which is also the penalty (before time scaling).
        public var windowSeconds: Double

        public init(requests: Int, windowSeconds: Double = 60) {
            self.requests = requests
            self.windowSeconds = windowSeconds
        }
    }

    public var limits: [RateGroup: Limit] = Dictionary(uniqueKeysWithValues: RateGroup.allCases.map { ($0, Limit(requests: $0.defaultLimit)) })

    public init() {}

    public subscript(group: RateGroup) -> Limit {
        get { limits[group] ?? Limit(requests: group.defaultLimit) }
        set { limits[group] = newValue }
    }

    /// `heavy=20,medium=40,light=50,auth=200`, each optionally `/WINDOW` seconds (`heavy=20/30`); groups
    /// not named keep their defaults.
    public init(parsing text: String) throws(SimulatorInputError) {
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0.filter { $0 != " " }) }
            guard parts.count == 2, let group = RateGroup.allCases.first(where: { $0.rawValue.lowercased() == parts[0].lowercased() }) else {
                throw SimulatorInputError("rate limit \(item): expected GROUP=REQUESTS[/WINDOW] with GROUP one of heavy, medium, light, auth")
            }
            let numbers = parts[1].split(separator: "/", maxSplits: 1)
            guard let requests = Int(numbers[0]), requests >= 1 else {
                throw SimulatorInputError("rate limit \(item): the request count must be a positive integer")
            }
            var limit = Limit(requests: requests)
            if numbers.count == 2 {
                guard let window = Double(numbers[1]), window > 0, window.isFinite else {
                    throw SimulatorInputError("rate limit \(item): the window must be a positive number of seconds")
                }
                limit.windowSeconds = window
            }
            self[group] = limit
        }
    }
}

/// Sliding-window counting with RingCentral's penalty rule: once a group is over its limit it answers
/// 429 for the penalty interval, and any request inside the penalty restarts it.
struct RateLimiter {
    struct Decision {
        let allowed: Bool
        let inPenalty: Bool
        let limit: Int
        let remaining: Int
        let retryAfter: Double
    }

    private let limits: RateLimits
    private let timeScale: Double
    private var sent: [String: [Double]] = [:]
    private var penaltyUntil: [String: Double] = [:]

    init(limits: RateLimits = RateLimits(), timeScale: Double) {
        self.limits = limits
        self.timeScale = timeScale
    }

    func limit(_ group: RateGroup) -> Int { limits[group].requests }
    /// The group's window (and penalty), time-scaled.
    func window(_ group: RateGroup) -> Double { limits[group].windowSeconds / timeScale }
    func penalty(_ group: RateGroup) -> Double { window(group) }

    private func key(_ principal: String, _ group: RateGroup) -> String { "\(principal)|\(group.rawValue)" }

    mutating func admit(principal: String, group: RateGroup, now: Double) -> Decision {
        let key = key(principal, group)
        let limit = limit(group), window = window(group), penalty = penalty(group)
        var times = (sent[key] ?? []).filter { $0 > now - window }
        defer { sent[key] = times }
        if let until = penaltyUntil[key], now < until {
            penaltyUntil[key] = now + penalty  // a request inside the penalty restarts it
            return Decision(allowed: false, inPenalty: true, limit: limit, remaining: 0, retryAfter: penalty)
        }
        if times.count >= limit {
            penaltyUntil[key] = now + penalty
            return Decision(allowed: false, inPenalty: false, limit: limit, remaining: 0, retryAfter: penalty)
        }
        times.append(now)
        return Decision(allowed: true, inPenalty: false, limit: limit, remaining: limit - times.count, retryAfter: 0)
    }

    /// A 429 forced by the burst fault: the group enters its penalty as if its budget were spent.
    mutating func startPenalty(principal: String, group: RateGroup, now: Double) {
        penaltyUntil[key(principal, group)] = now + penalty(group)
    }

    func remaining(principal: String, group: RateGroup, now: Double) -> Int {
        limit(group) - (sent[key(principal, group)] ?? []).filter { $0 > now - window(group) }.count
    }
}

/// Seconds as RingCentral writes them in headers: whole numbers where exact, else up to 6 decimals
/// (only a time-scaled simulator produces fractions; a window scaled a million-fold is 0.00006 s).
func formatSeconds(_ seconds: Double) -> String {
    if seconds == seconds.rounded() { return String(Int(seconds)) }
    let micros = Int((seconds * 1_000_000).rounded())
    var text = "\(micros / 1_000_000)." + String(String(micros % 1_000_000 + 1_000_000).dropFirst())
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
