/// Just enough unsigned big-integer arithmetic for exact Erlang B/C values with rational traffic:
/// multiply by a small number, add, and the ratio of two big integers as a Double. Little-endian
/// 32-bit limbs, 64-bit intermediates. Tests only.
struct BigNatural {
    private(set) var limbs: [UInt32]

    init(_ value: UInt64) {
        limbs = value == 0 ? [] : value >> 32 == 0 ? [UInt32(value)] : [UInt32(truncatingIfNeeded: value), UInt32(value >> 32)]
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        limbs.withUnsafeMutableBufferPointer { limbs in
            for index in limbs.indices {
                let product = UInt64(limbs[index]) &* UInt64(factor) &+ carry
                limbs[index] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
        }
        if carry > 0 { limbs.append(UInt32(carry)) }
        while limbs.last == 0 { limbs.removeLast() }
    }

    mutating func add(_ other: BigNatural) {
        if other.limbs.count > limbs.count { limbs += Array(repeating: 0, count: other.limbs.count - limbs.count) }
        var carry: UInt64 = 0
        limbs.withUnsafeMutableBufferPointer { limbs in
            other.limbs.withUnsafeBufferPointer { addend in
                for index in limbs.indices {
                    let sum = UInt64(limbs[index]) &+ (index < addend.count ? UInt64(addend[index]) : 0) &+ carry
                    limbs[index] = UInt32(truncatingIfNeeded: sum)
                    carry = sum >> 32
                    if index >= addend.count && carry == 0 { break }
                }
            }
        }
        if carry > 0 { limbs.append(UInt32(carry)) }
    }

    /// The top 96 bits as a Double mantissa, and the power of two it stands for.
    private var leading: (mantissa: Double, exponent: Int) {
        let top = limbs.suffix(3).reversed().reduce(0.0) { $0 * 4_294_967_296 + Double($1) }
        return (top, 32 * (limbs.count - min(3, limbs.count)))
    }

    /// self / other, correctly rounded to about 1e-16 relative (each leading part carries 96 bits).
    func ratio(to other: BigNatural) -> Double {
        let (a, ea) = leading, (b, eb) = other.leading
        var result = a / b
        var exponent = ea - eb
        while exponent >= 64 { result *= 18_446_744_073_709_551_616; exponent -= 64 }
        while exponent <= -64 { result /= 18_446_744_073_709_551_616; exponent += 64 }
        return exponent >= 0 ? result * Double(sign: .plus, exponent: exponent, significand: 1)
            : result / Double(sign: .plus, exponent: -exponent, significand: 1)
    }
}

/// Erlang B and C for N agents and rational traffic A = p / q, exactly, as a ratio of big integers:
///
///     1/B(n) = 1 + (n / A) · 1/B(n − 1)    ⇒    P_n = p^n + n·q·P_(n−1),  P_0 = 1,  B(N) = p^N / P_N
///     C(N, A) = N·B / (N − A·(1 − B))      ⇒    C = N·q·p^N / ((N·q − p)·P_N + p^(N+1))
///
/// No rounding happens until the final division, so this checks the floating-point recursion's
/// accumulated error independently: the only shared ingredient is Erlang's formula itself.
func exactErlang(agents: Int, trafficNumerator p: UInt32, denominator q: UInt32) -> (blocking: Double, waitProbability: Double) {
    var power = BigNatural(1)  // p^n
    var sum = BigNatural(1)  // P_n
    for n in 1...agents {
        power.multiply(by: p)
        sum.multiply(by: UInt32(n) * q)
        sum.add(power)
    }
    let blocking = power.ratio(to: sum)
    var numerator = power
    numerator.multiply(by: UInt32(agents) * q)
    var denominator = sum
    denominator.multiply(by: UInt32(agents) * q - p)
    var next = power
    next.multiply(by: p)
    denominator.add(next)
    return (blocking, numerator.ratio(to: denominator))
}
