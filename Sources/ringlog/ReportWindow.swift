import Foundation
import RinglogSupport

/// A report interval: a fixed number of minutes (stepped in absolute time from each local
/// midnight), or the local day (23, 24 or 25 hours).
enum ReportInterval: Equatable {
    case minutes(Int)
    case day

    init?(_ text: String) {
        switch text {
        case "15m": self = .minutes(15)
        case "30m": self = .minutes(30)
        case "1h", "60m": self = .minutes(60)
        case "1d", "24h": self = .day
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .minutes(60): "1h"
        case .minutes(let minutes): "\(minutes)m"
        case .day: "1d"
        }
    }

    var noun: String {
        switch self {
        case .minutes(60): "hour"
        case .minutes(let minutes): "\(minutes) minutes"
        case .day: "day"
        }
    }

    /// Nominal length (a DST day's intervals keep theirs; only the day itself stretches).
    var seconds: Double {
        switch self {
        case .minutes(let minutes): Double(minutes * 60)
        case .day: 86_400
        }
    }
}

/// `--from`/`--to`/`--interval`/`--timezone` resolved: the instants, and the interval boundaries
/// aligned to local wall-clock time in the zone (tzdata through Foundation's TimeZone).
struct ReportWindow {
    let timeZone: TimeZone
    /// The zone as the user named it (Foundation on Linux calls UTC "GMT").
    let zoneName: String
    let calendar: Calendar
    let interval: ReportInterval
    let fromMillis: Int64
    let toMillis: Int64
    /// Strictly increasing; interval i is [boundaries[i], boundaries[i+1]).
    let boundaries: [Int64]
    /// What --from and --to said, for headings.
    let periodText: String

    static let maximumIntervals = 500_000

    init(from: String, to: String, interval intervalText: String, timeZone zoneName: String, allowDays: Bool) throws(ConfigurationError) {
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ConfigurationError("--timezone \(zoneName.debugDescription) is not an IANA time zone (e.g. UTC, America/New_York, Europe/Berlin)")
        }
        guard let interval = ReportInterval(intervalText), allowDays || interval != .day else {
            throw ConfigurationError("--interval must be 15m, 30m\(allowDays ? ", 1h or 1d" : " or 1h"), not \(intervalText.debugDescription)")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.timeZone = zone
        self.zoneName = zoneName
        self.calendar = calendar
        self.interval = interval
        fromMillis = try Self.instant(from, flag: "--from", calendar: calendar, endOfDay: false)
        toMillis = try Self.instant(to, flag: "--to", calendar: calendar, endOfDay: true)
        guard toMillis > fromMillis else { throw ConfigurationError("--to must be after --from") }
        periodText = "\(from) – \(to) (\(zoneName))"
        boundaries = try Self.boundaries(from: fromMillis, to: toMillis, interval: interval, calendar: calendar)
    }

    /// A date is that local day's first instant (`endOfDay`: the next day's); an ISO 8601 time with
    /// Z or an offset is that instant; one without is local wall-clock time in the zone.
    static func instant(_ text: String, flag: String, calendar: Calendar, endOfDay: Bool) throws(ConfigurationError) -> Int64 {
        let bytes = Array(text.utf8)
        let problem = ConfigurationError("\(flag) must be a date (2026-11-02) or an ISO 8601 time (2026-11-02T09:00:00Z, "
                                         + "2026-11-02T09:00:00-05:00, or local 2026-11-02T09:00), not \(text.debugDescription)")
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, bytes[range].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard bytes.count >= 10, let year = number(0..<4), bytes[4] == 0x2D, let month = number(5..<7), bytes[7] == 0x2D,
            let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { throw problem }
        if bytes.count == 10 {
            guard let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)),
                calendar.component(.day, from: noon) == day
            else { throw problem }
            var start = calendar.startOfDay(for: noon)
            if endOfDay {
                guard let next = calendar.date(byAdding: .day, value: 1, to: noon) else { throw problem }
                start = calendar.startOfDay(for: next)
            }
            return Int64((start.timeIntervalSince1970 * 1000).rounded())
        }
        let last = bytes[bytes.count - 1]
        let tail = bytes.dropFirst(16)
        let hasZone = last == UInt8(ascii: "Z") || last == UInt8(ascii: "z") || tail.contains(UInt8(ascii: "+")) || tail.contains(UInt8(ascii: "-"))
        if hasZone {
            guard let time = Timestamp(iso8601: text) else { throw problem }
            return time.millisecondsSinceEpoch
        }
        // Local wall-clock time: YYYY-MM-DDTHH:MM[:SS].
        guard bytes.count == 16 || bytes.count == 19, bytes[10] == UInt8(ascii: "T"), let hour = number(11..<13), bytes[13] == 0x3A,
            let minute = number(14..<16), hour < 24, minute < 60
        else { throw problem }
        var second = 0
        if bytes.count == 19 {
            guard bytes[16] == 0x3A, let value = number(17..<19), value < 60 else { throw problem }
            second = value
        }
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)) else {
            throw problem
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Local midnights, and within each local day steps of the interval in absolute time: a day
    /// that springs forward has one hourly interval fewer, one that falls back one more. A shift of
    /// part of a step (Lord Howe's 30 minutes, for hours) realigns the steps to the clock after it. The first
    /// and last intervals are cut to --from and --to when those are not on the grid.
    static func boundaries(from: Int64, to: Int64, interval: ReportInterval, calendar: Calendar) throws(ConfigurationError) -> [Int64] {
        var result: [Int64] = [from]
        var dayStart = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(from) / 1000))
        while Int64((dayStart.timeIntervalSince1970 * 1000).rounded()) < to {
            guard let noon = calendar.date(byAdding: .hour, value: 12, to: dayStart),
                let nextNoon = calendar.date(byAdding: .day, value: 1, to: noon)
            else { throw ConfigurationError("--from/--to: cannot step through the days of this period") }
            let nextDay = calendar.startOfDay(for: nextNoon)
            let startMillis = Int64((dayStart.timeIntervalSince1970 * 1000).rounded())
            let endMillis = Int64((nextDay.timeIntervalSince1970 * 1000).rounded())
            let step: Int64 = switch interval {
            case .minutes(let minutes): Int64(minutes) * 60_000
            case .day: endMillis - startMillis
            }
            var boundary = startMillis
            while boundary < endMillis {
                if boundary > from && boundary < to { result.append(boundary) }
                boundary = interval == .day ? endMillis : nextBoundary(after: boundary, step: step, calendar: calendar)
            }
            guard result.count <= maximumIntervals else {
                throw ConfigurationError("--from/--to/--interval: more than \(maximumIntervals) intervals; choose a shorter period or a longer interval")
            }
            dayStart = nextDay
        }
        result.append(to)
        return result
    }

    /// `boundary + step`, unless the zone's offset changes in between by other than a whole number of
    /// steps (Lord Howe Island shifts by 30 minutes): then the first instant from the change on whose
    /// local time is a whole number of steps past midnight, so that hourly intervals stay on the hour.
    static func nextBoundary(after boundary: Int64, step: Int64, calendar: Calendar) -> Int64 {
        let next = boundary + step
        let zone = calendar.timeZone
        func offset(_ millis: Int64) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(millis) / 1000)) }
        let shift = Int64(offset(next) - offset(boundary)) * 1000
        guard shift != 0, shift % step != 0,
            let change = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: Double(boundary) / 1000))
        else { return next }
        let changeMillis = Int64((change.timeIntervalSince1970 * 1000).rounded())
        guard changeMillis > boundary && changeMillis <= next else { return next }
        let local = calendar.dateComponents([.hour, .minute, .second], from: change)
        let intoStep = Int64(((local.hour ?? 0) * 3_600 + (local.minute ?? 0) * 60 + (local.second ?? 0)) * 1000) % step
        return changeMillis + (intoStep == 0 ? 0 : step - intoStep)
    }

    /// Local wall-clock fields of an instant.
    func local(_ millis: Int64) -> DateComponents {
        calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// `2026-03-08T03:00:00-04:00`: local time with the zone's offset at that instant.
    func isoLabel(_ millis: Int64) -> String {
        let parts = local(millis)
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(millis) / 1000))
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        return "\(pad(parts.year ?? 0, 4))-\(pad(parts.month ?? 0))-\(pad(parts.day ?? 0))T\(pad(parts.hour ?? 0)):\(pad(parts.minute ?? 0)):"
            + "\(pad(parts.second ?? 0))\(sign)\(pad(magnitude / 3600)):\(pad(magnitude % 3600 / 60))"
    }

    /// A chart label: `11-13 15:00`, or `2026-11-13` for daily intervals.
    func shortLabel(_ millis: Int64) -> String {
        let parts = local(millis)
        if interval == .day { return "\(pad(parts.year ?? 0, 4))-\(pad(parts.month ?? 0))-\(pad(parts.day ?? 0))" }
        return "\(pad(parts.month ?? 0))-\(pad(parts.day ?? 0)) \(pad(parts.hour ?? 0)):\(pad(parts.minute ?? 0))"
    }

    /// ISO weekday (1 = Monday) and minutes since local midnight.
    func slotParts(_ millis: Int64) -> (weekday: Int, minuteOfDay: Int) {
        let parts = local(millis)
        return (((parts.weekday ?? 1) + 5) % 7 + 1, (parts.hour ?? 0) * 60 + (parts.minute ?? 0))
    }

    /// Local days (dates) the period touches.
    var dayCount: Int {
        var days = Set<String>()
        for boundary in boundaries.dropLast() {
            let parts = local(boundary)
            days.insert("\(parts.year ?? 0)-\(parts.month ?? 0)-\(parts.day ?? 0)")
        }
        return days.count
    }
}

func pad(_ value: Int, _ width: Int = 2) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}
