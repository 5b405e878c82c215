/// Serialises `JSON` deterministically: members in stored order, numbers as their literal text,
/// non-ASCII characters as raw UTF-8, `/` not escaped. The same value always yields the same bytes,
/// which is what lets a sync skip rewriting a file whose content did not change.
extension JSON {
    public enum Style: Sendable { case compact, pretty }

    public func serialized(_ style: Style = .compact) -> String {
        var output = ""
        write(into: &output, style: style, indent: 0)
        return output
    }

    public func serializedBytes(_ style: Style = .compact) -> [UInt8] { Array(serialized(style).utf8) }

    private func write(into output: inout String, style: Style, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let value): JSON.writeString(value, into: &output)
        case .array(let elements):
            if elements.isEmpty { output += "[]"; return }
            output += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { output += "," }
                JSON.newline(&output, style: style, indent: indent + 1)
                element.write(into: &output, style: style, indent: indent + 1)
            }
            JSON.newline(&output, style: style, indent: indent)
            output += "]"
        case .object(let object):
            if object.isEmpty { output += "{}"; return }
            output += "{"
            for (position, member) in object.members.enumerated() {
                if position > 0 { output += "," }
                JSON.newline(&output, style: style, indent: indent + 1)
                JSON.writeString(member.key, into: &output)
                output += style == .pretty ? ": " : ":"
                member.value.write(into: &output, style: style, indent: indent + 1)
            }
            JSON.newline(&output, style: style, indent: indent)
            output += "}"
        }
    }

    private static func newline(_ output: inout String, style: Style, indent: Int) {
        guard style == .pretty else { return }
        output += "\n"
        output += String(repeating: "  ", count: indent)
    }

    private static func writeString(_ value: String, into output: inout String) {
        output += "\""
        // Most strings need no escape: appended whole (the same bytes as scalar by scalar).
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            output += value
            output += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
