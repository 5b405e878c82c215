/// A strict RFC 8259 parser producing `JSON` values. Errors name the byte offset and what was expected.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSON {
    public static func parse(_ text: String) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSON {
        let buffer = Array(bytes)
        return try buffer.withUnsafeBufferPointer { pointer throws(JSONParseError) -> JSON in
            var parser = Parser(bytes: pointer)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.position == pointer.count else { throw parser.error("trailing characters after the value") }
            return value
        }
    }
}

extension JSON {
    /// Parses a top-level object whose member `name` is an array without building that array's
    /// elements: each is checked as `parse(_:selecting:)` checks a skipped value (structure, numbers,
    /// escapes, UTF-8; not duplicate names) and comes back as its byte range in `bytes`, to be parsed
    /// on its own later; the object holds `name: []`. For a page of 1,000 records, whose tree is about
    /// twice the body's size and was the largest allocation of a sync. The ranges are nil when the
    /// document is not an object or `name` is not an array (then everything is built as `parse` builds it).
    public static func parse(_ bytes: [UInt8], deferringElementsOf name: String) throws(JSONParseError) -> (JSON, [Range<Int>]?) {
        try bytes.withUnsafeBufferPointer { pointer throws(JSONParseError) -> (JSON, [Range<Int>]?) in
            var parser = Parser(bytes: pointer)
            parser.skipWhitespace()
            let (value, ranges) = try parser.parseObject(deferringElementsOf: name)
            parser.skipWhitespace()
            guard parser.position == pointer.count else { throw parser.error("trailing characters after the value") }
            return (value, ranges)
        }
    }
}

/// Which parts of a document `JSON.parse(_:selecting:)` builds: `.whole` keeps a value as it is;
/// `.members` keeps only the named members of an object (each with its own selection).
public indirect enum JSONSelection: Sendable {
    case whole
    case members([String: JSONSelection])
}

extension JSON {
    /// Parses `bytes` as strictly as `parse` checks them — structure, numbers, escapes, surrogates and
    /// UTF-8 of every byte, kept or not — but builds only the selected members: an object comes back
    /// with only the members its selection names. For reading a few fields out of many files (the
    /// traffic report reads six fields of each call sidecar) without building the rest. Duplicate
    /// member names are refused among the members built; in skipped objects they are not looked for.
    public static func parse(_ bytes: some Collection<UInt8>, selecting selection: JSONSelection) throws(JSONParseError) -> JSON {
        let buffer = Array(bytes)
        return try buffer.withUnsafeBufferPointer { pointer throws(JSONParseError) -> JSON in
            var parser = Parser(bytes: pointer)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0, selection: selection)
            parser.skipWhitespace()
            guard parser.position == pointer.count else { throw parser.error("trailing characters after the value") }
            return value
        }
    }
}

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    static let maximumDepth = 512

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: position, reason: reason) }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    mutating func expect(_ literal: StaticString, value: JSON) throws(JSONParseError) -> JSON {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input") }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[position + offset] != start[offset] {
            throw error("unexpected character")
        }
        position += count
        return value
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        guard let byte = current else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character, expected a value")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        position += 1
        var members: [JSONObject.Member] = []
        var keys: Set<String>?  // duplicate checks of a large object (a small one is scanned)
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(JSONObject()) }
        while true {
            let key = try memberName(after: members, keys: &keys)
            members.append(JSONObject.Member(key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(JSONObject(uniqueMembers: members))
            default: throw error("expected ',' or '}'")
            }
        }
    }

    /// A member's name and the `:` after it (whitespace around both skipped), refused when `members`
    /// has it already: a small object is scanned, a large one checked against `keys`, built once it is.
    mutating func memberName(after members: [JSONObject.Member], keys: inout Set<String>?) throws(JSONParseError) -> String {
        skipWhitespace()
        guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
        let key = try parseString()
        if members.count >= JSONObject.indexThreshold, keys == nil { keys = Set(members.map(\.key)) }
        if keys?.insert(key).inserted == false || (keys == nil && members.contains(where: { $0.key == key })) {
            throw error("duplicate member name \"\(key)\"")
        }
        skipWhitespace()
        guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
        position += 1
        skipWhitespace()
        return key
    }

    /// The top-level object, its member `name` (an array) kept as the ranges of its elements.
    mutating func parseObject(deferringElementsOf name: String) throws(JSONParseError) -> (JSON, [Range<Int>]?) {
        guard current == UInt8(ascii: "{") else { return (try parseValue(depth: 0), nil) }
        position += 1
        var members: [JSONObject.Member] = []
        var keys: Set<String>?
        var ranges: [Range<Int>]?
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return (.object(JSONObject()), nil) }
        while true {
            let key = try memberName(after: members, keys: &keys)
            if key == name, current == UInt8(ascii: "[") {
                position += 1
                var elements: [Range<Int>] = []
                skipWhitespace()
                if current == UInt8(ascii: "]") {
                    position += 1
                } else {
                    elements: while true {
                        skipWhitespace()
                        let start = position
                        try skipValue(depth: 2)
                        elements.append(start..<position)
                        skipWhitespace()
                        switch current {
                        case UInt8(ascii: ","): position += 1
                        case UInt8(ascii: "]"): position += 1; break elements
                        default: throw error("expected ',' or ']'")
                        }
                    }
                }
                ranges = elements
                members.append(JSONObject.Member(key, .array([])))
            } else {
                members.append(JSONObject.Member(key, try parseValue(depth: 1)))
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return (.object(JSONObject(uniqueMembers: members)), ranges)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func parseValue(depth: Int, selection: JSONSelection) throws(JSONParseError) -> JSON {
        guard case .members(let wanted) = selection, current == UInt8(ascii: "{") else { return try parseValue(depth: depth) }
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        position += 1
        var object = JSONObject()
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            if let selection = wanted[key] {
                if object[key] != nil { throw error("duplicate member name \"\(key)\"") }
                object[key] = try parseValue(depth: depth + 1, selection: selection)
            } else {
                try skipValue(depth: depth + 1)
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(object)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    /// Checks one value as `parseValue` would, building nothing.
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        guard let byte = current else { throw error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            position += 1
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
                try skipString()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
                position += 1
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"): position += 1; return
                default: throw error("expected ',' or '}'")
                }
            }
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"): position += 1; return
                default: throw error("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): _ = try expect("true", value: .null)
        case UInt8(ascii: "f"): _ = try expect("false", value: .null)
        case UInt8(ascii: "n"): _ = try expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw error("unexpected character, expected a value")
        }
    }

    /// Checks a string as `parseString` would (escapes, surrogate pairs, UTF-8), building nothing.
    mutating func skipString() throws(JSONParseError) {
        position += 1  // opening quote
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return
            case 0x00..<0x20:
                throw error("control character in string")
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = current else { throw error("unterminated escape") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    let code = try parseHex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired high surrogate") }
                        position += 2
                        guard (0xDC00...0xDFFF).contains(try parseHex4()) else { throw error("invalid low surrogate") }
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw error("unpaired low surrogate")
                    }
                default:
                    throw error("invalid escape character")
                }
            case 0x20..<0x80:
                position += 1
            default:
                try skipUTF8Sequence(lead: byte)
            }
        }
    }

    /// One multi-byte UTF-8 sequence, by RFC 3629's table (no overlongs, no surrogates, ≤ U+10FFFF).
    mutating func skipUTF8Sequence(lead: UInt8) throws(JSONParseError) {
        let invalid = error("string is not valid UTF-8")
        let (count, secondRange): (Int, ClosedRange<UInt8>) = switch lead {
        case 0xC2...0xDF: (1, 0x80...0xBF)
        case 0xE0: (2, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (2, 0x80...0xBF)
        case 0xED: (2, 0x80...0x9F)
        case 0xF0: (3, 0x90...0xBF)
        case 0xF1...0xF3: (3, 0x80...0xBF)
        case 0xF4: (3, 0x80...0x8F)
        default: throw invalid
        }
        guard position + count < bytes.count, secondRange.contains(bytes[position + 1]) else { throw invalid }
        for offset in stride(from: 2, through: count, by: 1) where !(0x80...0xBF).contains(bytes[position + offset]) { throw invalid }
        position += count + 1
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        position += 1
        var elements: [JSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = position
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else if isDigit(current) {
            while isDigit(current) { position += 1 }
        } else {
            throw error("expected a digit")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard isDigit(current) else { throw error("expected a digit after '.'") }
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard isDigit(current) else { throw error("expected a digit in the exponent") }
            while isDigit(current) { position += 1 }
        }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    mutating func parseString() throws(JSONParseError) -> String {
        position += 1  // opening quote
        // Most strings have no escape: validated straight from the input, without a copy.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            guard let string = String(validating: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self) else {
                throw error("string is not valid UTF-8")
            }
            position = end + 1
            return string
        }
        var scalars: [UInt8] = []
        var runStart = position
        while true {
            guard let byte = current else { throw error("unterminated string") }
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: bytes[runStart..<position])
                position += 1
                break
            }
            if byte < 0x20 { throw error("control character in string") }
            if byte != UInt8(ascii: "\\") { position += 1; continue }
            scalars.append(contentsOf: bytes[runStart..<position])
            position += 1
            guard let escape = current else { throw error("unterminated escape") }
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append(0x22)
            case UInt8(ascii: "\\"): scalars.append(0x5C)
            case UInt8(ascii: "/"): scalars.append(0x2F)
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("unpaired high surrogate") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw error("unpaired low surrogate")
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("invalid code point") }
                scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw error("invalid escape character")
            }
            runStart = position
        }
        guard let string = String(validating: scalars, as: UTF8.self) else {
            throw error("string is not valid UTF-8")
        }
        return string
    }
}
