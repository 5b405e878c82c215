/// SplitMix64: tiny, fast, and identical on every platform, so a seed always yields the same world.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for one entity, independent of how many numbers other entities drew.
    init(seed: UInt64, _ labels: UInt64...) {
        var mixed = seed
        for label in labels { mixed = SeededRandom.mix(mixed ^ SeededRandom.mix(label &+ 0x9E37_79B9_7F4A_7C15)) }
        state = mixed
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        return SeededRandom.mix(state &- 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in `range` (inclusive).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % span)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// Picks by weight: `[(value, weight)]`.
    mutating func weighted<T>(_ items: [(T, Double)]) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var target = unit() * total
        for (value, weight) in items {
            if target < weight { return value }
            target -= weight
        }
        return items[items.count - 1].0
    }
}
