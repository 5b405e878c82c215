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

    let window: Double
    let penalty: Double
    private var sent: [String: [Double]] = [:]
    private var penaltyUntil: [String: Double] = [:]

    init(timeScale: Double) {
        window = 60 / timeScale
        penalty = 60 / timeScale
    }

    private func key(_ principal: String, _ group: RateGroup) -> String { "\(principal)|\(group.rawValue)" }

    mutating func admit(principal: String, group: RateGroup, now: Double) -> Decision {
        let key = key(principal, group)
        let limit = group.defaultLimit
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
        penaltyUntil[key(principal, group)] = now + penalty
    }

    func remaining(principal: String, group: RateGroup, now: Double) -> Int {
        group.defaultLimit - (sent[key(principal, group)] ?? []).filter { $0 > now - window }.count
    }
}

/// Seconds as RingCentral writes them in headers: whole numbers where exact, else up to 3 decimals
/// (only a time-scaled simulator produces fractions).
func formatSeconds(_ seconds: Double) -> String {
    if seconds == seconds.rounded() { return String(Int(seconds)) }
    let millis = Int((seconds * 1000).rounded())
    var text = "\(millis / 1000)." + String(String(millis % 1000 + 1000).dropFirst())
    while text.hasSuffix("0") { text.removeLast() }
    return text
}
