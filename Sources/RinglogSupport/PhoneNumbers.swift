/// A country's telephone numbering, as far as turning a number written in national form into E.164
/// needs it: the calling code, the trunk prefix dialled before a national number (stripped), and
/// the international access prefixes (a number starting with one is already international).
public struct CallingCountry: Sendable, Equatable {
    /// ISO 3166-1 alpha-2, uppercase.
    public let iso: String
    public let name: String
    public let callingCode: String
    /// `0` in most of Europe and Asia-Pacific, `1` in the North American Numbering Plan, none in
    /// Italy, Spain, Denmark, Norway, Singapore, Mexico… (Italian numbers keep their leading 0).
    public let trunkPrefix: String?
    /// Longest first. `00` is accepted everywhere as well (no national number starts with it).
    public let internationalPrefixes: [String]

    public var isNANP: Bool { callingCode == "1" }
}

/// Phone numbers as ringlog compares them: E.164 (`+` and up to 15 digits), from whatever form a
/// person or RingCentral wrote (`+1 866 123 4567`, `18661234567`, `(866)123-4567`, `866.123.4567`,
/// `0044 20 7946 0958`, `020 7946 0958` with country GB, `… x123`). Masked numbers (`+3351234XXXX`,
/// as RingCentral sends some) are never a match for anything.
public enum PhoneNumbers {
    public enum Parsed: Sendable, Equatable {
        case e164(String)
        /// Contains `X` digits: unknown, so it never matches.
        case masked
        case invalid(String)

        public var e164: String? {
            if case .e164(let value) = self { return value }
            return nil
        }
    }

    // The North American Numbering Plan: calling code 1, trunk prefix 1, international prefix 011.
    private static let nanp: [(String, String)] = [
        ("US", "United States"), ("CA", "Canada"), ("PR", "Puerto Rico"), ("VI", "U.S. Virgin Islands"), ("GU", "Guam"),
        ("AS", "American Samoa"), ("MP", "Northern Mariana Islands"), ("AG", "Antigua and Barbuda"), ("AI", "Anguilla"),
        ("BB", "Barbados"), ("BM", "Bermuda"), ("BS", "Bahamas"), ("DM", "Dominica"), ("DO", "Dominican Republic"),
        ("GD", "Grenada"), ("JM", "Jamaica"), ("KN", "Saint Kitts and Nevis"), ("KY", "Cayman Islands"), ("LC", "Saint Lucia"),
        ("MS", "Montserrat"), ("SX", "Sint Maarten"), ("TC", "Turks and Caicos Islands"), ("TT", "Trinidad and Tobago"),
        ("VC", "Saint Vincent and the Grenadines"), ("VG", "British Virgin Islands"),
    ]

    // (iso, name, calling code, trunk prefix, international prefixes besides 00)
    private static let others: [(String, String, String, String?, [String])] = [
        ("GB", "United Kingdom", "44", "0", []), ("IE", "Ireland", "353", "0", []), ("DE", "Germany", "49", "0", []),
        ("FR", "France", "33", "0", []), ("NL", "Netherlands", "31", "0", []), ("BE", "Belgium", "32", "0", []),
        ("LU", "Luxembourg", "352", nil, []), ("CH", "Switzerland", "41", "0", []), ("AT", "Austria", "43", "0", []),
        ("ES", "Spain", "34", nil, []), ("PT", "Portugal", "351", nil, []), ("IT", "Italy", "39", nil, []),
        ("SE", "Sweden", "46", "0", []), ("NO", "Norway", "47", nil, []), ("DK", "Denmark", "45", nil, []),
        ("FI", "Finland", "358", "0", []), ("PL", "Poland", "48", nil, []),
        ("AU", "Australia", "61", "0", ["0011"]), ("NZ", "New Zealand", "64", "0", []), ("JP", "Japan", "81", "0", ["010"]),
        ("SG", "Singapore", "65", nil, ["000"]), ("IN", "India", "91", "0", []), ("ZA", "South Africa", "27", "0", []),
        ("BR", "Brazil", "55", "0", []), ("MX", "Mexico", "52", nil, []),
    ]

    /// Every country ringlog can read national numbers of, by ISO code.
    public static let countries: [String: CallingCountry] = {
        var table: [String: CallingCountry] = [:]
        for (iso, name) in nanp {
            table[iso] = CallingCountry(iso: iso, name: name, callingCode: "1", trunkPrefix: "1", internationalPrefixes: ["011"])
        }
        for (iso, name, code, trunk, prefixes) in others {
            table[iso] = CallingCountry(iso: iso, name: name, callingCode: code, trunkPrefix: trunk, internationalPrefixes: prefixes)
        }
        return table
    }()

    public static let defaultCountry = countries["US"]!

    /// The country of an ISO code (any case), or nil when ringlog has no numbering data for it.
    public static func country(_ iso: String) -> CallingCountry? { countries[iso.uppercased()] }

    /// The ISO codes covered, sorted, for help texts and error messages.
    public static var coveredCodes: String { countries.keys.sorted().joined(separator: " ") }

    /// The country an E.164 number belongs to by its calling code (`+1` is the United States: the
    /// NANP's countries share one code).
    public static func country(ofE164 number: String) -> CallingCountry? {
        guard number.hasPrefix("+") else { return nil }
        let digits = number.dropFirst()
        if digits.hasPrefix("1") { return countries["US"] }
        for length in [3, 2] {
            let code = String(digits.prefix(length))
            if let match = countries.values.filter({ $0.callingCode == code }).min(by: { $0.iso < $1.iso }) { return match }
        }
        return nil
    }

    /// A whole number, as typed for `exclude add --number`, or as RingCentral wrote it: E.164, or why not.
    public static func normalize(_ text: String, country: CallingCountry) -> Parsed {
        normalize(text, country: country, minimumDigits: 7)
    }

    /// A number prefix (`+1900`, `0044 20`, `020` in GB): the same rules, any length from one digit.
    public static func normalizePrefix(_ text: String, country: CallingCountry) -> Parsed {
        normalize(text, country: country, minimumDigits: 1)
    }

    /// Every E.164 reading of a number found in a record: its normalised form and, for a bare
    /// string of 11 or more digits, the same digits read as international without their `+`
    /// (RingCentral writes `18662130006`). Empty for masked or unreadable values.
    public static func candidates(_ text: String, country: CallingCountry) -> [String] {
        var result: [String] = []
        if let number = normalize(text, country: country).e164 { result.append(number) }
        let trimmed = text.trimmingSpaces
        if !trimmed.hasPrefix("+"), trimmed.utf8.count >= 11, trimmed.utf8.count <= 15, trimmed.utf8.allSatisfy(isDigit),
            trimmed.first != "0"
        {
            let international = "+" + trimmed
            if !result.contains(international) { result.append(international) }
        }
        return result
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func normalize(_ original: String, country: CallingCountry, minimumDigits: Int) -> Parsed {
        var text = original.trimmingSpaces
        if text.lowercased().hasPrefix("tel:") { text = String(text.dropFirst(4)) }
        text = strippingExtension(text)
        // `+44 (0)20 7946 0958`: the bracketed trunk prefix is not dialled from abroad.
        if text.hasPrefix("+") || text.hasPrefix("00") { text = text.replacingAll("(0)", with: "") }
        if text.contains(where: { $0 == "x" || $0 == "X" }) { return .masked }
        var digits = ""
        var plus = false
        for character in text {
            switch character {
            case "0"..."9": digits.append(character)
            case "+":
                guard digits.isEmpty && !plus else { return .invalid("a + may only start the number") }
                plus = true
            case " ", ".", "-", "(", ")", "/", "\u{00A0}", "\t": continue
            default: return .invalid("\(String(character).debugDescription) is not part of a phone number")
            }
        }
        guard !digits.isEmpty else { return .invalid("no digits") }
        var international: String
        if plus {
            international = digits
        } else if let prefix = (country.internationalPrefixes + ["00"]).first(where: { digits.hasPrefix($0) }) {
            international = String(digits.dropFirst(prefix.count))
        } else if country.isNANP {
            // NANP: 10 digits (area code + number), or 11 with the leading 1; a prefix may be shorter.
            if digits.hasPrefix("1") {
                international = digits
            } else {
                international = "1" + digits
            }
            if minimumDigits > 1 && international.count != 11 {
                return .invalid("a North American number has 10 digits, or 11 starting with 1 (got \(digits.count)); "
                                + "give a number of another country with + or 00, or its country with --country")
            }
        } else {
            var national = Substring(digits)
            if let trunk = country.trunkPrefix, national.hasPrefix(trunk) { national = national.dropFirst(trunk.count) }
            if country.iso == "MX" {
                // Mexico dropped its 01/044/045 prefixes in 2019; numbers written the old way still appear.
                for legacy in ["044", "045", "01"] where national.hasPrefix(legacy) && national.count > 10 {
                    national = national.dropFirst(legacy.count)
                    break
                }
            }
            guard !national.isEmpty else { return .invalid("only a trunk prefix") }
            international = country.callingCode + national
        }
        guard let first = international.first, first != "0" else { return .invalid("a country calling code never starts with 0") }
        guard international.count >= minimumDigits else { return .invalid("too short for a phone number (\(international.count) digits)") }
        guard international.count <= 15 else { return .invalid("longer than E.164's 15 digits") }
        return .e164("+" + international)
    }

    /// `… x123`, `… ext. 123`, `… ext123`, `…#123`, `…;ext=123`: the extension is not part of the number.
    /// A trailing run of digits after an `x` counts as an extension only when no other `x` comes
    /// before it: `+3351234XXXX` and `+33512XX34` are masked numbers, not extensions.
    static func strippingExtension(_ text: String) -> String {
        let lower = Array(text.lowercased())
        for marker in [";ext=", "ext.", "ext", "x", "#"].map(Array.init) {
            guard lower.count > marker.count else { continue }
            var start = lower.count - marker.count
            while start > 0 {
                if Array(lower[start..<start + marker.count]) == marker {
                    let after = lower[(start + marker.count)...].filter { $0 != " " && $0 != ":" && $0 != "." }
                    let before = lower[..<start]
                    if !after.isEmpty, after.allSatisfy(\.isASCIIDigitCharacter), !before.contains("x"), before.contains(where: \.isASCIIDigitCharacter) {
                        return String(Array(text)[..<start]).trimmingSpaces
                    }
                }
                start -= 1
            }
        }
        return text
    }

    /// The last two digits of an E.164 number, the only part of an excluded number the tree keeps.
    public static func lastDigits(_ e164: String) -> String { String(e164.filter(\.isASCIIDigitCharacter).suffix(2)) }
}

extension Character {
    var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\u{00A0}" || first == "\n" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\u{00A0}" || last == "\n" { scalars.removeLast() }
        return String(scalars)
    }
}
