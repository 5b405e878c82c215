import ArchiveStore
import RinglogSupport

/// A half-open range of UTC instants `[from, to)` with its name in the export's top directory.
/// Items belong to it by their start instant, the rule that also places them in day folders.
public struct ExportPeriod: Sendable, Equatable {
    /// `2026-11`, `2026`, or `2026-11-03_2026-11-09` (both days included).
    public let name: String
    public let from: Timestamp
    /// Exclusive.
    public let to: Timestamp
    /// First and last day folder (`YYYY-MM-DD`) inside the period.
    public let firstDay: String
    public let lastDay: String

    /// `YYYY-MM` or `YYYY`.
    public static func parse(period text: String) throws(ConfigurationError) -> ExportPeriod {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let year = parts.first.flatMap({ $0.utf8.count == 4 ? Int($0) : nil }), year >= 1970 else {
            throw ConfigurationError("--period \(text.debugDescription) must be YYYY-MM (a month) or YYYY (a year), e.g. 2026-11")
        }
        if parts.count == 1 {
            return ExportPeriod(name: text, fromYear: year, month: 1, toYear: year + 1, toMonth: 1)
        }
        guard parts.count == 2, parts[1].utf8.count == 2, let month = Int(parts[1]), (1...12).contains(month) else {
            throw ConfigurationError("--period \(text.debugDescription) must be YYYY-MM (a month) or YYYY (a year), e.g. 2026-11")
        }
        return ExportPeriod(name: text, fromYear: year, month: month, toYear: month == 12 ? year + 1 : year, toMonth: month == 12 ? 1 : month + 1)
    }

    /// `--from DATE --to DATE`, both `YYYY-MM-DD` and both included.
    public static func parse(from first: String, to last: String) throws(ConfigurationError) -> ExportPeriod {
        func day(_ text: String, _ flag: String) throws(ConfigurationError) -> Timestamp {
            guard ArchiveReader.isDayFolder(text), let time = Timestamp(iso8601: text + "T00:00:00Z"), ArchiveNames.dayFolder(time) == text else {
                throw ConfigurationError("\(flag) \(text.debugDescription) must be a date YYYY-MM-DD (UTC), e.g. 2026-11-03")
            }
            return time
        }
        let start = try day(first, "--from"), end = try day(last, "--to")
        guard start <= end else { throw ConfigurationError("--from \(first) is after --to \(last)") }
        return ExportPeriod(name: "\(first)_\(last)", from: start, to: end.adding(seconds: 86_400), firstDay: first, lastDay: last)
    }

    init(name: String, from: Timestamp, to: Timestamp, firstDay: String, lastDay: String) {
        self.name = name
        self.from = from
        self.to = to
        self.firstDay = firstDay
        self.lastDay = lastDay
    }

    private init(name: String, fromYear: Int, month: Int, toYear: Int, toMonth: Int) {
        func instant(_ year: Int, _ month: Int) -> Timestamp {
            Timestamp(iso8601: "\(year)-\(month < 10 ? "0" : "")\(month)-01T00:00:00Z")!
        }
        let from = instant(fromYear, month), to = instant(toYear, toMonth)
        self.init(name: name, from: from, to: to, firstDay: ArchiveNames.dayFolder(from), lastDay: ArchiveNames.dayFolder(to.adding(seconds: -1)))
    }

    public func contains(_ time: Timestamp) -> Bool { time >= from && time < to }

    /// The months (`YYYY-MM`) the period touches, ascending.
    public var months: [String] {
        var result: [String] = []
        var month = ArchiveNames.monthShard(from)
        let last = ArchiveNames.monthShard(to.adding(seconds: -1))
        while month <= last {
            result.append(month)
            let year = Int(month.prefix(4))!, number = Int(month.suffix(2))!
            month = number == 12 ? "\(year + 1)-01" : "\(year)-\(number < 9 ? "0" : "")\(number + 1)"
        }
        return result
    }
}

/// What an export may contain: call sidecars, call recordings, a recording's RingSense insights,
/// and each message kind (a message's sidecar and every attachment together: a voicemail's audio and
/// transcription, a fax's documents, an SMS's text and MMS pictures, a pager message's attachments).
public enum ExportKind: String, Sendable, CaseIterable, Comparable {
    case calls, recordings, insights, voicemails, faxes, sms, pager

    public static func < (lhs: ExportKind, rhs: ExportKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The words `--kind` takes: each kind's name, and the singular of `voicemails` and `faxes`
    /// (the `ringlog tenant --messages` words), so either spelling works.
    static let words: [String: ExportKind] = {
        var words = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
        words["voicemail"] = .voicemails
        words["fax"] = .faxes
        return words
    }()

    /// The export kind of a message kind.
    public init(_ kind: MessageKind) {
        switch kind {
        case .voicemail: self = .voicemails
        case .fax: self = .faxes
        case .sms: self = .sms
        case .pager: self = .pager
        }
    }

    /// `calls,recordings` (repeatable flag values are joined before).
    public static func parse(_ values: [String]) throws(ConfigurationError) -> Set<ExportKind> {
        var kinds = Set<ExportKind>()
        for value in values.flatMap({ $0.split(separator: ",") }).map({ $0.trimmingSpaces }) {
            guard let kind = words[value.lowercased()] else {
                throw ConfigurationError("--kind \(value.debugDescription) is not one of calls, recordings, insights, voicemails, faxes, sms, pager")
            }
            kinds.insert(kind)
        }
        return kinds.isEmpty ? Set(allCases) : kinds
    }
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

/// One export: which tenant, which items, in which container.
public struct ExportRequest: Sendable {
    public var tenantId: String
    public var period: ExportPeriod
    /// Extension folders (`101`, `id-400131035797`, `_account`); nil for all.
    public var extensionFolders: Set<String>?
    public var kinds: Set<ExportKind>
    public var format: ExportFormat
    /// Written into EXPORT.json (e.g. `0.2.0`).
    public var ringlogVersion: String

    public init(tenantId: String, period: ExportPeriod, extensionFolders: Set<String>? = nil, kinds: Set<ExportKind> = Set(ExportKind.allCases),
                format: ExportFormat, ringlogVersion: String) {
        self.tenantId = tenantId
        self.period = period
        self.extensionFolders = extensionFolders
        self.kinds = kinds
        self.format = format
        self.ringlogVersion = ringlogVersion
    }

    /// `<tenantId>-<period>`: the one top directory of the tarball.
    public var topDirectory: String { "\(tenantId)-\(period.name)" }
}

/// Where the tarball goes.
public enum ExportDestination: Sendable {
    /// Written to a temporary file beside it, fsynced, then renamed into place. An existing file is
    /// replaced only with `replacing`.
    case file(path: String, replacing: Bool)
    case standardOutput
}

/// Why an export did not complete. Nothing is left at the destination's name in any case.
public enum ExportError: Error, Sendable, CustomStringConvertible {
    /// A source file is not what the archive records (missing, another size or hash, a sidecar that
    /// does not parse): nothing damaged is ever exported. Exit status 6.
    case damaged(path: String, reason: String)
    /// The request cannot be carried out as given (the file exists, no such extension). Exit status 2.
    case refused(String)
    /// Writing the tarball failed (a full disk, a closed pipe). Exit status 1.
    case output(path: String, reason: String)
    /// SIGINT or SIGTERM. Exit status 128 + the signal.
    case interrupted(String)

    public var description: String {
        switch self {
        case .damaged(let path, let reason):
            "\(path) \(reason); nothing was exported (`ringlog verify` lists every problem)"
        case .refused(let reason): reason
        case .output(let path, let reason): "writing \(path): \(reason)"
        case .interrupted(let reason): "\(reason); nothing was exported"
        }
    }
}

/// What the caller sees while an export runs (at most a few times a second) and at the end.
public struct ExportProgress: Sendable {
    public var files = 0
    public var totalFiles = 0
    public var bytes: Int64 = 0
    public var totalBytes: Int64 = 0
}

/// What an export wrote.
public struct ExportSummary: Sendable {
    public let topDirectory: String
    /// Item files (sidecars and media) in the tarball.
    public let files: Int
    /// Their bytes (uncompressed).
    public let bytes: Int64
    public let counts: [String: Int]
    /// Size of the tarball as written.
    public let outputBytes: Int64
    public let omittedTombstoned: Int
    public let omittedExcluded: Int
}
