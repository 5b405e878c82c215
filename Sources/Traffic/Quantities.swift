/// The command line's quantities: durations and probabilities as people write them.
public enum Quantities {
    /// Seconds from `180`, `180s`, `30m`, `1.5h`, `2d` (a number, then optionally s, m, h or d).
    /// Nil when the text is not such a duration or not finite.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces
        guard let last = trimmed.last else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        let (digits, unit) = units[last].map { (String(trimmed.dropLast()), $0) } ?? (trimmed, 1)
        guard let value = plainNumber(digits) else { return nil }
        let seconds = value * unit
        return seconds.isFinite ? seconds : nil
    }

    /// A probability from a fraction (`0.8`) or a percentage (`80%`); nil unless within [0, 1].
    public static func probability(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces
        let value: Double?
        if trimmed.hasSuffix("%") { value = plainNumber(String(trimmed.dropLast())).map { $0 / 100 } } else { value = plainNumber(trimmed) }
        guard let value, value >= 0, value <= 1 else { return nil }
        return value
    }

    /// A decimal number without sign tricks, exponents, `inf` or `nan`: what a person types.
    public static func plainNumber(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces
        // Digits, sign, point and an exponent (`1e-05`, as scripts print small numbers); never inf, nan or hex.
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45 }),
            let value = Double(trimmed), value.isFinite
        else { return nil }
        return value
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars = scalars.dropFirst() }
        while scalars.last == " " { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
