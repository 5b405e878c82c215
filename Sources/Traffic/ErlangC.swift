/// An Erlang C queue (M/M/N, waiting calls wait as long as it takes, served first come first served):
/// `agents` agents, `trafficErlangs` offered, exponential handle times with mean `averageHandleSeconds`.
///
/// Formulas (Iversen, *Teletraffic Engineering and Network Planning*, DTU 2015, §9.2–9.3; Koole,
/// *Call Center Optimization*, 2013, ch. 5; Gans, Koole & Mandelbaum, "Telephone call centers",
/// M&SOM 5(2), 2003, §4.1):
///
///     C(N, A)      = N·B / (N − A·(1 − B))          with B = B(N, A), Erlang B (Iversen eq. 9.9),
///                                                   evaluated as N·B / ((N − A) + A·B): no cancellation near N ≈ A
///     P(W > t)     = C · e^(−(N − A)·t / AHT)         (eq. 9.22: the wait of a delayed call is exponential)
///     SL(T)        = 1 − P(W > T)                     share of all calls answered within T
///     ASA          = C · AHT / (N − A)                mean wait over all calls, not only delayed ones (eq. 9.15)
///     occupancy    = A / N
///
/// Service level and ASA are defined over *all* offered calls (tools differ: some average over
/// delayed calls only, which gives AHT / (N − A), or count calls answered at exactly T as late).
///
/// `agents ≤ traffic` is an unstable queue: it grows without bound, every call waits (C = 1), none is
/// answered within any finite target (SL = 0) and the mean wait is infinite (`averageSpeedOfAnswerSeconds`
/// is nil). No NaN is ever produced. With no traffic nothing waits: C = 0, SL = 1, ASA = 0.
public struct QueueModel: Sendable, Equatable {
    public let agents: Int
    public let trafficErlangs: Double
    public let averageHandleSeconds: Double
    /// Erlang B for these agents and this traffic (the loss system with the same N and A).
    public let blocking: Double
    /// C(N, A): the probability that a call waits at all.
    public let waitProbability: Double

    public init(agents: Int, trafficErlangs: Double, averageHandleSeconds: Double) {
        self.init(agents: agents, trafficErlangs: trafficErlangs, averageHandleSeconds: averageHandleSeconds,
                  blocking: ErlangB.blocking(lines: agents, traffic: trafficErlangs))
    }

    /// From an Erlang B value already at hand (the staffing search keeps the recursion running).
    init(agents: Int, trafficErlangs: Double, averageHandleSeconds: Double, blocking: Double) {
        self.agents = agents
        self.trafficErlangs = trafficErlangs
        self.averageHandleSeconds = averageHandleSeconds
        self.blocking = blocking
        let n = Double(agents)
        if trafficErlangs <= 0 {
            waitProbability = 0
        } else if n <= trafficErlangs {
            waitProbability = 1
        } else {
            // N − A·(1 − B) written as (N − A) + A·B: both terms positive, so no cancellation near
            // N ≈ A (N − A is exact there, by Sterbenz's lemma), and never a division by zero.
            waitProbability = min(1, n * blocking / ((n - trafficErlangs) + trafficErlangs * blocking))
        }
    }

    /// ln C(agents, traffic) for a stable queue, for wait probabilities too small for a Double:
    /// ln N + ln B − ln((N − A) + A·B), with ln B from `ErlangB.logBlocking`.
    public static func logWaitProbability(agents: Int, trafficErlangs: Double) -> Double {
        guard trafficErlangs > 0 else { return -.infinity }
        let n = Double(agents)
        guard n > trafficErlangs else { return 0 }
        let logB = ErlangB.logBlocking(lines: agents, traffic: trafficErlangs)
        return log(n) + logB - log((n - trafficErlangs) + trafficErlangs * exp(logB))
    }

    /// More agents than Erlangs: the queue has a steady state.
    public var isStable: Bool { trafficErlangs <= 0 || Double(agents) > trafficErlangs }

    /// P(W > t): the probability that a call waits longer than `seconds` (1 when unstable).
    public func probabilityOfWaitingLonger(than seconds: Double) -> Double {
        guard trafficErlangs > 0 else { return 0 }
        guard isStable else { return 1 }
        return waitProbability * exp(-(Double(agents) - trafficErlangs) * seconds / averageHandleSeconds)
    }

    /// SL(T): the share of calls answered within `seconds` (0 when unstable).
    public func serviceLevel(withinSeconds seconds: Double) -> Double {
        1 - probabilityOfWaitingLonger(than: seconds)
    }

    /// ASA, the mean wait over all calls, in seconds; nil (infinite) when unstable.
    public var averageSpeedOfAnswerSeconds: Double? {
        guard trafficErlangs > 0 else { return 0 }
        guard isStable else { return nil }
        return waitProbability * averageHandleSeconds / (Double(agents) - trafficErlangs)
    }

    /// A / N: the share of time an agent is busy when the queue is stable; above 1 it is the overload.
    /// 0 with no traffic; nil for no agents at all.
    public var occupancy: Double? {
        guard trafficErlangs > 0 else { return 0 }
        guard agents > 0 else { return nil }
        return trafficErlangs / Double(agents)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
