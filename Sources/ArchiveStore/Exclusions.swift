import RinglogSupport

/// One exclusion rule, replayed from `<tenant>/exclusions.jsonl`. A number is never stored in clear:
/// only HMAC-SHA256(key, E.164) and its last two digits, with the key kept outside the tree.
public struct ExclusionRule: Sendable, Equatable {
    public enum Match: Sendable, Equatable {
        /// `hmac`: hex HMAC-SHA256 of the E.164 number; `keyCheck`: which key made it (§14.3).
        case number(hmac: String, lastDigits: String, keyCheck: String)
        /// An E.164 prefix such as `+1900`, kept as given (normalised).
        case prefix(String)
        /// An extension number: the extension folder, and any `extensionNumber` in a record.
        case extensionNumber(String)
    }

    public let id: String
    public let match: Match
    public let label: String?
    public let reason: String
    public let addedAt: Timestamp
    public let addedBy: String
    public var removedAt: Timestamp?
    public var removedBy: String?
    public var removeReason: String?

    public var isActive: Bool { removedAt == nil }

    public init(id: String, match: Match, label: String?, reason: String, addedAt: Timestamp, addedBy: String) {
        self.id = id
        self.match = match
        self.label = label
        self.reason = reason
        self.addedAt = addedAt
        self.addedBy = addedBy
    }

    /// What a person may see of the rule: `number …67`, `prefix +1900`, `extension 101`.
    public var summary: String {
        switch match {
        case .number(_, let lastDigits, _): "number …\(lastDigits)"
        case .prefix(let prefix): "prefix \(prefix)"
        case .extensionNumber(let number): "extension \(number)"
        }
    }
}

/// `<tenant>/exclusions.jsonl`: append-only `added` and `removed` events.
public enum ExclusionLog {
    public static let fileName = "exclusions.jsonl"
    static let keyCheckMessage = "ringlog exclusion key check"

    public static func newId() -> String { "excl-" + String(Lease.randomToken().prefix(12)) }

    public static func isRuleId(_ text: String) -> Bool {
        text.hasPrefix("excl-") && text.utf8.count == 17 && text.utf8.dropFirst(5).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// 16 hex digits that tell which key made a rule's HMAC, without revealing the key.
    public static func keyCheck(_ key: [UInt8]) -> String { String(HMACSHA256.hex(key: key, message: keyCheckMessage).prefix(16)) }

    public static func numberHMAC(_ e164: String, key: [UInt8]) -> String { HMACSHA256.hex(key: key, message: e164) }

    /// Every rule ever added. A line that cannot be read stops sync and apply: a rule that cannot be
    /// read could be the one that keeps a number off the disk.
    public static func load(_ path: String) throws -> [ExclusionRule] {
        var rules: [ExclusionRule] = []
        var number = 0
        try DurableFiles.forEachLine(path) { line in
            number += 1
            let context = "\(path) line \(number)"
            guard let json = try? JSON.parse(line), json.objectValue != nil else {
                throw ControlFileError(context, "is not a JSON object; nothing is synced or applied while an exclusion rule cannot be read "
                                       + "(repair or restore the file)")
            }
            guard let id = json["ruleId"]?.stringValue, isRuleId(id) else { throw ControlFileError(context, "ruleId is missing or malformed") }
            guard let at = json["at"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else { throw ControlFileError(context, "at is missing or not a time") }
            let actor = json["actor"]?.stringValue ?? "unknown"
            let reason = json["reason"]?.stringValue ?? ""
            switch json["event"]?.stringValue {
            case "added":
                guard !rules.contains(where: { $0.id == id }) else { throw ControlFileError(context, "rule \(id) is added twice") }
                let match: ExclusionRule.Match
                switch json["type"]?.stringValue {
                case "number":
                    guard let hmac = json["hmac"]?.stringValue, hmac.utf8.count == 64, RinglogSupport.bytes(fromHex: hmac) != nil,
                        let last = json["lastDigits"]?.stringValue, let check = json["keyCheck"]?.stringValue
                    else { throw ControlFileError(context, "a number rule needs hmac (64 hex digits), lastDigits and keyCheck") }
                    match = .number(hmac: hmac.lowercased(), lastDigits: last, keyCheck: check)
                case "prefix":
                    guard let prefix = json["prefix"]?.stringValue, prefix.hasPrefix("+"), prefix.utf8.count >= 2,
                        prefix.utf8.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                    else { throw ControlFileError(context, "a prefix rule needs prefix as + and digits") }
                    match = .prefix(prefix)
                case "extension":
                    guard let extensionNumber = json["extension"]?.stringValue, !extensionNumber.isEmpty else {
                        throw ControlFileError(context, "an extension rule needs extension")
                    }
                    match = .extensionNumber(extensionNumber)
                default:
                    throw ControlFileError(context, "type \(json["type"]?.serialized() ?? "missing") is not number, prefix or extension; upgrade ringlog")
                }
                rules.append(ExclusionRule(id: id, match: match, label: json["label"]?.stringValue, reason: reason, addedAt: at, addedBy: actor))
            case "removed":
                guard let index = rules.firstIndex(where: { $0.id == id }) else { throw ControlFileError(context, "removes \(id), which was never added") }
                if rules[index].removedAt == nil {
                    rules[index].removedAt = at
                    rules[index].removedBy = actor
                    rules[index].removeReason = reason
                }
            default:
                throw ControlFileError(context, "event \(json["event"]?.serialized() ?? "missing") is not added or removed; upgrade ringlog")
            }
        }
        return rules
    }

    public static func addedLine(_ rule: ExclusionRule) -> JSON {
        var object: JSONObject = ["event": "added", "ruleId": .string(rule.id), "at": .string(rule.addedAt.iso8601), "actor": .string(rule.addedBy),
                                  "reason": .string(rule.reason)]
        if let label = rule.label { object["label"] = .string(label) }
        switch rule.match {
        case .number(let hmac, let lastDigits, let keyCheck):
            object["type"] = "number"
            object["hmac"] = .string(hmac)
            object["lastDigits"] = .string(lastDigits)
            object["keyCheck"] = .string(keyCheck)
        case .prefix(let prefix):
            object["type"] = "prefix"
            object["prefix"] = .string(prefix)
        case .extensionNumber(let number):
            object["type"] = "extension"
            object["extension"] = .string(number)
        }
        return .object(object)
    }

    public static func removedLine(id: String, reason: String, at: Timestamp, actor: String) -> JSON {
        ["event": "removed", "ruleId": .string(id), "at": .string(at.iso8601), "actor": .string(actor), "reason": .string(reason)]
    }
}

/// The active rules of a tenant, ready to test records against. Built once per run.
public struct ExclusionMatcher: Sendable {
    private let numbers: [String: String]  // hmac → rule id
    private let prefixes: [(prefix: String, rule: String)]
    private let extensions: [String: String]
    private let key: [UInt8]?
    public let country: CallingCountry

    public var isEmpty: Bool { numbers.isEmpty && prefixes.isEmpty && extensions.isEmpty }

    /// Refuses (configuration error) number rules without the key that made them: matching without
    /// it is impossible, and syncing anyway could archive a number that must never reach the disk.
    public init(rules: [ExclusionRule], key: [UInt8]?, keyPath: String, country: CallingCountry) throws(ConfigurationError) {
        var numbers: [String: String] = [:], prefixes: [(String, String)] = [], extensions: [String: String] = [:]
        for rule in rules where rule.isActive {
            switch rule.match {
            case .number(let hmac, _, let keyCheck):
                guard let key else {
                    throw ConfigurationError("exclusion rule \(rule.id) (\(rule.summary)) needs the tenant's exclusion key \(keyPath), which is "
                                             + "missing; restore it from the backup of your secrets (nothing was written)")
                }
                guard ExclusionLog.keyCheck(key) == keyCheck else {
                    throw ConfigurationError("exclusion rule \(rule.id) (\(rule.summary)) was made with another key than \(keyPath); restore "
                                             + "the key it was made with (nothing was written)")
                }
                numbers[hmac] = rule.id
            case .prefix(let prefix): prefixes.append((prefix, rule.id))
            case .extensionNumber(let number): extensions[number] = rule.id
            }
        }
        self.numbers = numbers
        self.prefixes = prefixes.sorted { $0.0.count > $1.0.count }
        self.extensions = extensions
        self.key = key
        self.country = country
    }

    /// The id of the first rule that matches any phone number anywhere in `record` (every key
    /// ending in `phoneNumber`, at any depth: from, to, legs, forwarding parties, revisions), any
    /// `extensionNumber` in it, or the item's extension folder. Masked numbers never match.
    public func match(_ record: JSON, extensionFolder: String? = nil) -> String? {
        guard !isEmpty else { return nil }
        if let extensionFolder, let rule = extensions[extensionFolder] { return rule }
        return walk(record)
    }

    /// The rule matching one number as written (for tests and `exclude add`'s self-check).
    public func match(number text: String) -> String? {
        for candidate in PhoneNumbers.candidates(text, country: country) {
            if let key, let rule = numbers[ExclusionLog.numberHMAC(candidate, key: key)] { return rule }
            if let rule = prefixes.first(where: { candidate.hasPrefix($0.prefix) })?.rule { return rule }
        }
        return nil
    }

    private func walk(_ value: JSON) -> String? {
        switch value {
        case .object(let object):
            for member in object.members {
                if case .string(let text) = member.value {
                    let lowered = member.key.lowercased()
                    if lowered.hasSuffix("phonenumber"), let rule = match(number: text) { return rule }
                    if lowered == "extensionnumber", let rule = extensions[text] { return rule }
                } else if let rule = walk(member.value) {
                    return rule
                }
            }
            return nil
        case .array(let elements):
            for element in elements { if let rule = walk(element) { return rule } }
            return nil
        default:
            return nil
        }
    }
}
