/// Traffic intensity: how many Erlangs a stream of calls offers.
///
/// One Erlang is one circuit (or agent) busy for the whole period: `A = calls × AHT / period`
/// (Erlang's definition; ITU-T Recommendation E.600 §2.5, "traffic intensity"). A is dimensionless;
/// the three quantities only need the same time unit, seconds here.
///
/// CCS (centum call seconds, "hundred call seconds per hour") is the North-American unit:
/// 1 Erlang = 3,600 call-seconds per hour = 36 CCS (ITU-T E.600; Iversen, *Teletraffic Engineering
/// and Network Planning*, DTU 2015, §1.5).
public enum TrafficIntensity {
    public static let ccsPerErlang = 36.0

    /// `calls × averageHandleSeconds / periodSeconds`.
    public static func erlangs(calls: Double, averageHandleSeconds: Double, periodSeconds: Double) -> Double {
        calls * averageHandleSeconds / periodSeconds
    }

    /// Erlangs from an arrival rate (calls per second) and the mean handle time: `A = λ × AHT`.
    public static func erlangs(arrivalsPerSecond: Double, averageHandleSeconds: Double) -> Double {
        arrivalsPerSecond * averageHandleSeconds
    }

    public static func erlangs(ccs: Double) -> Double { ccs / ccsPerErlang }
    public static func ccs(erlangs: Double) -> Double { erlangs * ccsPerErlang }
}

/// `ceil(x)` that ignores floating-point noise just above a whole number: `14 / (1 − 0.3)` is
/// 20.000000000000004 in binary floating point, and a plain `ceil` would schedule a 21st agent.
/// Noise is what rounding the inputs and the division can add: a few ulps of `x`, `relativeNoise`
/// (default 8 ulps; callers whose inputs amplify it, as `1 − shrinkage` near 1 does, pass more).
/// A value within that noise of a whole number is that number; anything further above the whole
/// number below is a real fraction and rounds up: a looser tolerance (1e-9 relative) schedules
/// 110,001 agents where 110,002 are needed at large centres.
public func ceilingIgnoringNoise(_ x: Double, relativeNoise: Double = 8 * .ulpOfOne) -> Double {
    let nearest = x.rounded()
    return abs(x - nearest) <= relativeNoise * abs(x) ? nearest : x.rounded(.up)
}
