import RinglogSupport

/// The message-store kinds ringlog archives (layout-spec §5.1). Each has the API's `messageType`
/// value it asks for and the name prefix of its files (`<T>_<prefix>.<messageId>…`, §4.4).
public enum MessageKind: String, Sendable, CaseIterable, Comparable {
    case voicemail, fax, sms, pager

    /// RingCentral's `messageType` value (message-sync and message-store filters, record `type`).
    public var apiType: String {
        switch self {
        case .voicemail: "VoiceMail"
        case .fax: "Fax"
        case .sms: "SMS"
        case .pager: "Pager"
        }
    }

    /// After `<T>_` in every file of the message: `vm` (revision 3's voicemail names, kept), `fax`, `sms`, `pager`.
    public var namePrefix: String {
        switch self {
        case .voicemail: "vm"
        case .fax: "fax"
        case .sms: "sms"
        case .pager: "pager"
        }
    }

    /// The kind of a record's `type`. `Text` (an enum value of the spec's `type` without a
    /// `messageType` filter of its own) is a text message. Unknown values: nil.
    public init?(apiType: String) {
        switch apiType {
        case "VoiceMail": self = .voicemail
        case "Fax": self = .fax
        case "SMS", "Text": self = .sms
        case "Pager": self = .pager
        default: return nil
        }
    }

    public init?(namePrefix: String) {
        guard let kind = Self.allCases.first(where: { $0.namePrefix == namePrefix }) else { return nil }
        self = kind
    }

    public static func < (a: MessageKind, b: MessageKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The set of kinds a tenant archives (`tenant.json` `messages`, `ringlog tenant add|set --messages`).
public struct MessageKinds: Sendable, Equatable {
    public let kinds: Set<MessageKind>

    public init(_ kinds: Set<MessageKind>) { self.kinds = kinds }

    /// Every kind: the default, and what a marker without `messages` means.
    public static let all = MessageKinds(Set(MessageKind.allCases))
    public static let none = MessageKinds([])

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// `voicemail,fax,sms,pager` (any order, any subset, words separated by commas) or `none`.
    /// A word that is not a kind is refused by name; nothing else is accepted.
    public init(parsing text: String) throws(ParseError) {
        let words = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces.lowercased() }
        if words == ["none"] {
            self = .none
            return
        }
        var kinds = Set<MessageKind>()
        var refused: [String] = []
        for word in words {
            guard let kind = MessageKind(rawValue: word) else {
                let shown = word.isEmpty ? "an empty word" : String(word.prefix(40)).debugDescription
                if !refused.contains(shown) { refused.append(shown) }
                continue
            }
            kinds.insert(kind)
        }
        guard refused.isEmpty else {
            // Every bad word at once, so one correction is enough.
            let named = refused.prefix(10).joined(separator: ", ") + (refused.count > 10 ? " and \(refused.count - 10) more" : "")
            throw ParseError(description: "--messages: \(named) \(refused.count == 1 ? "is not a message kind" : "are not message kinds"); "
                             + "use a comma-separated list of voicemail, fax, sms, pager, or none for calls only")
        }
        self.init(kinds)
    }

    /// In the canonical order (`voicemail,fax,sms,pager`), `none` for the empty set.
    public var description: String { kinds.isEmpty ? "none" : sorted.map(\.rawValue).joined(separator: ",") }
    public var sorted: [MessageKind] { kinds.sorted() }
    /// The `messageType` values to ask RingCentral for, in canonical order.
    public var apiTypes: [String] { sorted.map(\.apiType) }
    public func contains(_ kind: MessageKind) -> Bool { kinds.contains(kind) }

    /// The marker's form: an array of kind names in canonical order (`[]` for none).
    public var json: JSON { .array(sorted.map { .string($0.rawValue) }) }

    /// From the marker; nil when the value is not an array of known kind names.
    public init?(json: JSON) {
        guard let items = json.arrayValue else { return nil }
        var kinds = Set<MessageKind>()
        for item in items {
            guard let kind = item.stringValue.flatMap(MessageKind.init(rawValue:)) else { return nil }
            kinds.insert(kind)
        }
        self.init(kinds)
    }
}

extension Substring {
    var trimmingSpaces: String {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
