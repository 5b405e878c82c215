import RinglogSupport
import Traffic

// Shared by `erlang`, `traffic` and `plan`: flag values, number formats, JSON numbers.

extension JSON {
    /// A number at full double precision (the shortest text that reads back to the same Double);
    /// null for nil, infinity or NaN, which JSON cannot carry.
    static func double(_ value: Double?) -> JSON {
        guard let value, value.isFinite else { return .null }
        return .number(String(value))
    }
}

/// Flag values checked one by one; each error names its flag (exit 2).
enum FlagValues {
    static let durationForms = "seconds, or with a unit: 30s, 30m, 1.5h, 2d"

    static func duration(_ text: String, flag: String) throws(ConfigurationError) -> Double {
        guard let seconds = Quantities.seconds(text) else {
            throw ConfigurationError("\(flag) must be a duration (\(durationForms)), not \(text.debugDescription)")
        }
        guard seconds >= 0 else { throw ConfigurationError("\(flag) must not be negative") }
        return seconds
    }

    static func positiveDuration(_ text: String, flag: String) throws(ConfigurationError) -> Double {
        let seconds = try duration(text, flag: flag)
        guard seconds > 0 else { throw ConfigurationError("\(flag) must be positive") }
        return seconds
    }

    static func nonNegativeNumber(_ text: String, flag: String) throws(ConfigurationError) -> Double {
        guard let value = Quantities.plainNumber(text) else { throw ConfigurationError("\(flag) must be a number, not \(text.debugDescription)") }
        guard value >= 0 else { throw ConfigurationError("\(flag) must not be negative") }
        return value
    }

    static func positiveNumber(_ text: String, flag: String) throws(ConfigurationError) -> Double {
        let value = try nonNegativeNumber(text, flag: flag)
        guard value > 0 else { throw ConfigurationError("\(flag) must be positive") }
        return value
    }

    static func nonNegativeInteger(_ text: String, flag: String) throws(ConfigurationError) -> Int {
        guard let value = Int(text.trimmingCharacters(in: " ")) else {
            throw ConfigurationError("\(flag) must be a whole number, not \(text.debugDescription)")
        }
        guard value >= 0 else { throw ConfigurationError("\(flag) must not be negative") }
        guard value <= 10_000_000 else { throw ConfigurationError("\(flag) is beyond this calculator (at most 10,000,000)") }
        return value
    }

    static func positiveInteger(_ text: String, flag: String) throws(ConfigurationError) -> Int {
        let value = try nonNegativeInteger(text, flag: flag)
        guard value > 0 else { throw ConfigurationError("\(flag) must be at least 1") }
        return value
    }

    enum Bounds { case both, atOne, belowOne }

    /// A probability from `0.8` or `80%`: strictly inside (0, 1) for `.both`, (0, 1] for `.atOne`,
    /// [0, 1) for `.belowOne`.
    static func probability(_ text: String, flag: String, open bounds: Bounds) throws(ConfigurationError) -> Double {
        guard let value = Quantities.probability(text) else {
            throw ConfigurationError("\(flag) must be a probability: a fraction (0.8) or a percentage (80%), not \(text.debugDescription)")
        }
        switch bounds {
        case .both: guard value > 0 && value < 1 else { throw ConfigurationError("\(flag) must be above 0 and below 100%") }
        case .atOne: guard value > 0 else { throw ConfigurationError("\(flag) must be above 0") }
        case .belowOne: guard value < 1 else { throw ConfigurationError("\(flag) must be below 100%") }
        }
        return value
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text = text.dropFirst() }
        while text.last == character { text = text.dropLast() }
        return String(text)
    }
}

/// Numbers for people: a few decimals, no trailing zeros.
enum Format {
    static func number(_ value: Double, decimals: Int = 3) -> String {
        guard value.isFinite else { return "∞" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
        var text = String(rounded)
        if text.contains("e") { return text }
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    static func percent(_ fraction: Double) -> String { number(fraction * 100, decimals: 2) + " %" }
    static func seconds(_ value: Double) -> String { number(value, decimals: 2) + " s" }
    static func erlangs(_ value: Double) -> String { number(value) + (number(value) == "1" ? " Erlang" : " Erlangs") }
}
