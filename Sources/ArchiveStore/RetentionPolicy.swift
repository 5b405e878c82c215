import RinglogSupport

/// How long something is kept: `Nd`, `Nw`, `Ny` (a year is 365 days) or `forever`.
public enum RetentionPeriod: Sendable, Equatable, Comparable, CustomStringConvertible {
    public enum Unit: String, Sendable { case d, w, y }
    case period(count: Int, unit: Unit)
    case forever

    /// Longest finite period accepted: 1,000 years. Anything longer is a typo, not a policy.
    public static let maximumDays = 365_000

    public init(parsing original: String, field: String) throws(ConfigurationError) {
        let text = original.lowercased().filter { $0 != " " }
        if text == "forever" {
            self = .forever
            return
        }
        guard let last = text.last, let unit = Unit(rawValue: String(last)) else {
            throw ConfigurationError("\(field) \(original.debugDescription): give a number and a unit, e.g. 30d, 12w, 7y (365-day years), or forever")
        }
        let digits = text.dropLast()
        if digits.hasPrefix("-") {
            throw ConfigurationError("\(field) \(original.debugDescription) is negative; a retention period is at least 1d (or forever)")
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigitCharacter), let count = Int(digits) else {
            throw ConfigurationError("\(field) \(original.debugDescription): expected a whole number before \(unit.rawValue), e.g. 7\(unit.rawValue)")
        }
        guard count > 0 else {
            throw ConfigurationError("\(field) \(original.debugDescription) is zero, which would remove everything at once; "
                                     + "a retention period is at least 1d (or forever)")
        }
        guard count <= Self.maximumDays else { throw ConfigurationError("\(field) \(original.debugDescription) is longer than 1000 years") }
        self = .period(count: count, unit: unit)
        guard let days = days, days <= Self.maximumDays else { throw ConfigurationError("\(field) \(original.debugDescription) is longer than 1000 years") }
    }

    /// Nil for forever.
    public var days: Int? {
        switch self {
        case .forever: nil
        case .period(let count, let unit): count * (unit == .d ? 1 : unit == .w ? 7 : 365)
        }
    }

    public var description: String {
        switch self {
        case .forever: "forever"
        case .period(let count, let unit): "\(count)\(unit.rawValue)"
        }
    }

    /// In words, for people: "6 years (2190 days)".
    public var spelledOut: String {
        switch self {
        case .forever: return "forever"
        case .period(let count, let unit):
            let word = unit == .d ? "day" : unit == .w ? "week" : "year"
            let base = "\(count) \(word)\(count == 1 ? "" : "s")"
            return unit == .d ? base : base + " (\(days ?? 0) days)"
        }
    }

    public static func < (lhs: RetentionPeriod, rhs: RetentionPeriod) -> Bool {
        (lhs.days ?? Int.max) < (rhs.days ?? Int.max)
    }

    /// True when an item that started at `start` has been kept its full period at `now`.
    /// `start` is rounded up to the whole second, as file names record it, so an item is never removed early.
    public func hasExpired(start: Timestamp, now: Timestamp) -> Bool {
        guard let days else { return false }
        return start.millisecondsSinceEpoch + Int64(days) * 86_400_000 <= now.millisecondsSinceEpoch
    }
}

/// `<tenant>/policy.json`: how long the tenant's calls, recordings, insights and each message kind are kept. It lives in
/// the tree so that it travels with the archive: an auditor sees the rule next to what it governs.
public struct RetentionPolicy: Sendable, Equatable {
    public static let fileName = "policy.json"
    static let ownedKeys: Set<String> = ["format", "layoutVersion", "calls", "recordings", "voicemails", "sms", "faxes", "pager", "insights",
                                         "trashDays", "maxDelete", "preset", "reason", "setAt", "setBy"]
    public static let defaultTrashDays = 7
    public static let defaultMaxDelete = 500

    /// A call's sidecar (its record).
    public var calls: RetentionPeriod = .forever
    /// A call's recordings (media).
    public var recordings: RetentionPeriod = .forever
    /// A voicemail: its sidecar, audio and transcription together.
    public var voicemails: RetentionPeriod = .forever
    /// An SMS or MMS message: its sidecar and every attachment together (revision 4; absent: forever).
    public var sms: RetentionPeriod = .forever
    /// A fax, received or sent: its sidecar and documents together (absent: forever).
    public var faxes: RetentionPeriod = .forever
    /// A pager message: its sidecar and attachments together (absent: forever).
    public var pager: RetentionPeriod = .forever
    /// A recording's RingSense insights files. Nil (the key absent): as long as the recording,
    /// which is what a policy written before insights were archived meant for what goes with it.
    public var insights: RetentionPeriod?
    /// Days a purged file stays in `.trash/` before a later purge empties it; 0 deletes at once.
    public var trashDays = defaultTrashDays
    /// A purge that would remove more files than this removes nothing (nil: the default, 500).
    public var maxDelete: Int?
    public var preset: String?
    public var reason: String
    public var setAt: Timestamp
    public var setBy: String
    var extra = JSONObject()

    public init(reason: String, setAt: Timestamp, setBy: String) {
        self.reason = reason
        self.setAt = setAt
        self.setBy = setBy
    }

    /// Refuses what cannot be meant: a sidecar must not go before its media (the record is what says
    /// the media existed), and the trash and guard figures must be sane.
    public func validate() throws(ConfigurationError) {
        if calls < recordings {
            throw ConfigurationError("calls (\(calls)) would be kept for less time than recordings (\(recordings)): a call's record must "
                                     + "not go before its recordings; make calls at least as long (e.g. --calls \(recordings))")
        }
        if let insights, calls < insights {
            throw ConfigurationError("calls (\(calls)) would be kept for less time than insights (\(insights)): a call's record must "
                                     + "not go before the insights filed in it; make calls at least as long (e.g. --calls \(insights))")
        }
        guard (0...3650).contains(trashDays) else { throw ConfigurationError("trashDays \(trashDays) must be from 0 to 3650") }
        if let maxDelete, maxDelete < 0 { throw ConfigurationError("maxDelete \(maxDelete) must not be negative") }
    }

    public var effectiveMaxDelete: Int { maxDelete ?? Self.defaultMaxDelete }

    /// How long insights are kept: their own period, else the recording's.
    public var effectiveInsights: RetentionPeriod { insights ?? recordings }

    /// The period of a message of `kind` (its sidecar and every attachment together).
    public func period(of kind: MessageKind) -> RetentionPeriod {
        switch kind {
        case .voicemail: voicemails
        case .fax: faxes
        case .sms: sms
        case .pager: pager
        }
    }

    /// The policy field that governs `kind`, as tombstones' `rule` name it (`sms 3y`).
    public static func field(of kind: MessageKind) -> String {
        switch kind {
        case .voicemail: "voicemails"
        case .fax: "faxes"
        case .sms: "sms"
        case .pager: "pager"
        }
    }

    public var keepsEverything: Bool {
        calls == .forever && recordings == .forever && effectiveInsights == .forever && MessageKind.allCases.allSatisfy { period(of: $0) == .forever }
    }

    public static func load(_ path: String) throws -> RetentionPolicy? {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return nil }
        let json = try parseControlFile(bytes, path: path)
        let object = try checkControlFile(json, format: "ringlog-policy", path: path)
        func period(_ key: String) throws(ControlFileError) -> RetentionPeriod {
            guard let value = json[key] else { return .forever }
            guard let text = value.stringValue else { throw ControlFileError(path, "\(key) is not a string such as \"6y\" or \"forever\"") }
            do { return try RetentionPeriod(parsing: text, field: key) } catch { throw ControlFileError(path, error.description) }
        }
        func integer(_ key: String) throws(ControlFileError) -> Int? {
            guard let value = json[key], value != .null else { return nil }
            guard let number = value.int64Value, number >= Int64(Int32.min), number <= Int64(Int32.max) else {
                throw ControlFileError(path, "\(key) is not a whole number")
            }
            return Int(number)
        }
        guard let reason = json["reason"]?.stringValue else { throw ControlFileError(path, "reason is missing") }
        guard let setAt = json["setAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else { throw ControlFileError(path, "setAt is missing or not a time") }
        var policy = RetentionPolicy(reason: reason, setAt: setAt, setBy: json["setBy"]?.stringValue ?? "unknown")
        policy.calls = try period("calls")
        policy.recordings = try period("recordings")
        policy.voicemails = try period("voicemails")
        policy.sms = try period("sms")
        policy.faxes = try period("faxes")
        policy.pager = try period("pager")
        policy.insights = json["insights"] == nil ? nil : try period("insights")
        policy.trashDays = try integer("trashDays") ?? defaultTrashDays
        policy.maxDelete = try integer("maxDelete")
        policy.preset = json["preset"]?.stringValue
        policy.extra = object.removing(ownedKeys)
        do { try policy.validate() } catch { throw ControlFileError(path, error.description) }
        return policy
    }

    public var json: JSON {
        var object = JSONObject()
        object["format"] = "ringlog-policy"
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["calls"] = .string(calls.description)
        object["recordings"] = .string(recordings.description)
        object["voicemails"] = .string(voicemails.description)
        object["sms"] = .string(sms.description)
        object["faxes"] = .string(faxes.description)
        object["pager"] = .string(pager.description)
        if let insights { object["insights"] = .string(insights.description) }
        object["trashDays"] = .int(trashDays)
        if let maxDelete { object["maxDelete"] = .int(maxDelete) }
        if let preset { object["preset"] = .string(preset) }
        object["reason"] = .string(reason)
        object["setAt"] = .string(setAt.iso8601)
        object["setBy"] = .string(setBy)
        object.appendUnowned(extra)
        return .object(object)
    }

    public var bytes: [UInt8] { json.serializedBytes(.pretty) + [0x0A] }
}

extension Character {
    var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
