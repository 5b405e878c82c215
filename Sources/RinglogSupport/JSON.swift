/// A JSON value that keeps what the server sent: object members in their order, numbers as their
/// literal text. RingCentral message ids and conversation ids exceed 2^53, so a Double would
/// silently change them; and an archive stores records verbatim, so nothing may be lost or reordered.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text exactly as received (already validated against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

/// An ordered JSON object. Keys are unique; lookups use an index built alongside the members.
public struct JSONObject: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSON
        public init(_ key: String, _ value: JSON) { self.key = key; self.value = value }
    }

    public private(set) var members: [Member] = []
    /// Built only for objects larger than `indexThreshold`: a linear scan of a few dozen keys is
    /// cheaper than hashing them, and an index per record doubled the memory of a parsed call-log
    /// page (a detailed record and each of its legs have 15–25 members; control files keyed by id
    /// have thousands, and keep their index).
    private var index: [String: Int]?
    static let indexThreshold = 32

    public init() {}

    public init(_ pairs: [(String, JSON)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// An object of `members` whose keys the caller has checked are unique (the parser), stored
    /// at their exact count: appending one by one left a page's objects up to half empty.
    init(uniqueMembers: [Member]) {
        members = [Member](unsafeUninitializedCapacity: uniqueMembers.count) { buffer, initialized in
            for (offset, member) in uniqueMembers.enumerated() { (buffer.baseAddress! + offset).initialize(to: member) }
            initialized = uniqueMembers.count
        }
        rebuildIndex()
    }

    public var keys: [String] { members.map(\.key) }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    /// Setting an existing key replaces its value in place (order kept); setting nil removes it.
    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let position = position(of: key) {
                if let newValue {
                    members[position].value = newValue
                } else {
                    members.remove(at: position)
                    rebuildIndex()
                }
            } else if let newValue {
                index?[key] = members.count
                members.append(Member(key, newValue))
                if index == nil && members.count > Self.indexThreshold { rebuildIndex() }
            }
        }
    }

    private mutating func rebuildIndex() {
        guard members.count > Self.indexThreshold else {
            index = nil
            return
        }
        var built: [String: Int] = [:]
        for (position, member) in members.enumerated() { built[member.key] = position }
        index = built
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.members == rhs.members }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }
}

// MARK: - Typed access

extension JSON {
    public subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number as Int64 when its literal is an integer that fits; never goes through Double.
    public var int64Value: Int64? {
        if case .number(let literal) = self { return Int64(literal) }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let literal) = self { return Double(literal) }
        return nil
    }

    public var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The JSON type name, for error messages and schema checks.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public static func int(_ value: some BinaryInteger) -> JSON { .number(String(value)) }
}

// MARK: - Literals (used to build payloads in order)

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .number(String(value)) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
