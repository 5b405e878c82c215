#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A UTC instant in whole milliseconds, the precision RingCentral's timestamps carry
/// (`2016-03-10T18:07:52.534Z`). Parsing and formatting are hand-written: exact, and far faster
/// than ISO8601DateFormatter on Linux.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }
    public init(secondsSinceEpoch: Double) { self.millisecondsSinceEpoch = Self.milliseconds(secondsSinceEpoch) }

    /// Seconds → milliseconds without a trap: non-finite is 0, beyond ±292 million years is clamped.
    static func milliseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite else { return 0 }
        let value = (seconds * 1000).rounded()
        return value >= 9.2e18 ? Int64.max / 2 : value <= -9.2e18 ? Int64.min / 2 : Int64(value)
    }

    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public var secondsSinceEpoch: Double { Double(millisecondsSinceEpoch) / 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch }

    public func adding(milliseconds: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds) }
    public func adding(seconds: Double) -> Timestamp {
        let (sum, overflow) = millisecondsSinceEpoch.addingReportingOverflow(Self.milliseconds(seconds))
        return Timestamp(millisecondsSinceEpoch: overflow ? (seconds > 0 ? Int64.max / 2 : Int64.min / 2) : sum)
    }

    /// Broken-down UTC fields.
    public var utc: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
        let millis = ((millisecondsSinceEpoch % 1000) + 1000) % 1000
        var seconds = time_t((millisecondsSinceEpoch - millis) / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour),
                Int(parts.tm_min), Int(parts.tm_sec), Int(millis))
    }

    /// `2026-11-21T17:04:05.123Z`: the form RingCentral sends.
    public var iso8601: String {
        let t = utc
        return "\(pad(t.year, 4))-\(pad(t.month))-\(pad(t.day))T\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second)).\(pad(t.millisecond, 3))Z"
    }

    /// `2026-11-21T17:04:05Z`: whole seconds, as query parameters are usually written.
    public var iso8601Seconds: String {
        let t = utc
        return "\(pad(t.year, 4))-\(pad(t.month))-\(pad(t.day))T\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second))Z"
    }

    public var description: String { iso8601 }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`; a bare date `YYYY-MM-DD` means midnight UTC.
    public init?(iso8601 text: String) {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var value = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), b.count >= 10, b[4] == UInt8(ascii: "-"), let month = number(5..<7),
            b[7] == UInt8(ascii: "-"), let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0, millis = 0, offsetSeconds = 0
        if b.count > 10 {
            guard b.count >= 19, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
                let h = number(11..<13), b[13] == UInt8(ascii: ":"), let m = number(14..<16),
                b[16] == UInt8(ascii: ":"), let s = number(17..<19), h < 24, m < 60, s < 61
            else { return nil }
            hour = h; minute = m; second = s
            var i = 19
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                var digits = 0
                var fraction = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    if digits < 3 { fraction = fraction * 10 + Int(b[i] - 0x30) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                for _ in 0..<max(0, 3 - digits) { fraction *= 10 }
                millis = fraction
            }
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                guard i + 1 == b.count else { return nil }
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                let rest = b.count - i - 1
                let oh: Int?, om: Int?
                if rest == 5, b[i + 3] == UInt8(ascii: ":") { oh = number(i + 1..<i + 3); om = number(i + 4..<i + 6) }
                else if rest == 4 { oh = number(i + 1..<i + 3); om = number(i + 3..<i + 5) }
                else { return nil }
                guard let oh, let om, oh < 24, om < 60 else { return nil }
                offsetSeconds = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900); parts.tm_mon = Int32(month - 1); parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour); parts.tm_min = Int32(minute); parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offsetSeconds)
        // timegm normalises 31 February into March: reject dates that do not exist.
        guard parts.tm_mday == Int32(day), parts.tm_mon == Int32(month - 1) else { return nil }
        self.millisecondsSinceEpoch = seconds * 1000 + Int64(millis)
    }
}

/// Seconds on the monotonic clock: for intervals, pacing and leases, immune to wall-clock jumps.
public func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

private func pad(_ value: Int, _ width: Int = 2) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
