/// Erlang's loss formula (Erlang B): the probability that a call offered to `N` lines carrying
/// `A` Erlangs finds every line busy and is lost (M/M/N/N; blocked calls cleared).
///
///     B(N, A) = (A^N / N!) / Σ_{k=0..N} A^k / k!
///
/// is never evaluated in that form (A^N and N! overflow a Double past N ≈ 170). The standard
/// recursion (Iversen, *Teletraffic Engineering and Network Planning*, DTU 2015, §4.3, eq. 4.29;
/// ITU-T E.521):
///
///     B(0) = 1,   B(k) = A·B(k−1) / (k + A·B(k−1))
///
/// is exact algebraically, needs N steps, and is numerically stable: each step damps the relative
/// error it inherits (the factor k / (k + A·B(k−1)) < 1), so rounding errors do not accumulate.
public enum ErlangB {
    /// B(lines, traffic). `lines ≥ 0`, `traffic ≥ 0`; B(0, A) = 1 and B(N, 0) = 0 for N > 0.
    public static func blocking(lines: Int, traffic: Double) -> Double {
        var recursion = Recursion(traffic: traffic)
        while recursion.lines < lines { recursion.addLine() }
        // Near the bottom of the subnormals the recursion cannot reach 0: with B(k−1) the smallest
        // subnormal (5e-324) and A/k > 1/2, A·B(k−1)/k rounds back up to it, so B(10000, 6000) = 1.96e-484
        // came out as 5e-324. There the logarithm (relative error ~1e-11 in B, far below one subnormal
        // ulp at this size) decides: exp rounds it to the right tiny subnormal, or to 0. Above, the
        // recursion is the more accurate of the two and is kept.
        guard recursion.blocking <= 16 * Double.leastNonzeroMagnitude && lines > 0 else { return recursion.blocking }
        return exp(logBlocking(lines: lines, traffic: traffic))
    }

    /// The recursion as a value that grows one line at a time, so that a search over N costs O(N)
    /// in all, not O(N²).
    public struct Recursion: Sendable {
        public let traffic: Double
        public private(set) var lines = 0
        public private(set) var blocking = 1.0

        public init(traffic: Double) { self.traffic = traffic }

        public mutating func addLine() {
            lines += 1
            let carried = traffic * blocking
            blocking = carried / (Double(lines) + carried)
        }
    }

    /// ln B(lines, traffic), for blockings too small for a Double (B(10000, 200) = e^−29325.75…): the
    /// same recursion in logarithms, ln B(k) = ln A + ln B(k−1) − ln(k + A·B(k−1)), where A·B(k−1)
    /// may underflow to 0 harmlessly (then ln(k + 0) = ln k). −∞ for no traffic.
    public static func logBlocking(lines: Int, traffic: Double) -> Double {
        guard traffic > 0 else { return lines == 0 ? 0 : -.infinity }
        let logTraffic = log(traffic)
        var logB = 0.0
        for k in stride(from: 1, through: lines, by: 1) {
            let carried = exp(logTraffic + logB)
            logB = logTraffic + logB - log(Double(k) + carried)
        }
        return logB
    }

    /// The fewest lines whose blocking is at most `blocking` (0 < blocking ≤ 1) for `traffic`
    /// Erlangs. O(result).
    public static func fewestLines(traffic: Double, blocking target: Double) -> Int {
        var recursion = Recursion(traffic: traffic)
        while recursion.blocking > target { recursion.addLine() }
        return recursion.lines
    }

    /// The most traffic, in Erlangs, that `lines` lines carry at blocking at most `blocking`
    /// (0 < blocking < 1): the A with B(lines, A) = blocking. B is continuous and strictly increasing
    /// in A (from 0 at A = 0 towards 1), so bisection on A converges to the unique root; it runs
    /// until the bracket is a few ulps wide (≤ 200 halvings of O(lines) each).
    public static func maximumTraffic(lines: Int, blocking target: Double) -> Double {
        precondition(lines > 0 && target > 0 && target < 1)
        var low = 0.0
        var high = Double(lines) + 1
        while blocking(lines: lines, traffic: high) < target { low = high; high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            guard middle > low && middle < high else { break }
            if blocking(lines: lines, traffic: middle) < target { low = middle } else { high = middle }
        }
        // The largest A whose blocking does not exceed the target.
        return blocking(lines: lines, traffic: high) <= target ? high : low
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
