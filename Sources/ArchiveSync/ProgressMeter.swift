import RinglogSupport

/// One line of progress per phase: items done of the total (when known), bytes, rate and ETA. The
/// CLI draws it on a terminal only (or with --progress); it is never part of the logs.
struct ProgressMeter {
    private var phase = ""
    private var done = 0
    private var total: Int?
    private var bytes: Int64 = 0
    private var started = monotonicSeconds()
    private var lastShown = 0.0

    mutating func begin(_ phase: String, total: Int?) {
        self.phase = phase
        self.total = total
        done = 0
        bytes = 0
        started = monotonicSeconds()
        lastShown = 0
    }

    /// Counts work done; returns the line to show, at most five times a second (and at the end).
    mutating func advance(items: Int = 0, bytes more: Int64 = 0) -> String? {
        done += items
        bytes += more
        let now = monotonicSeconds()
        let finished = total.map { done >= $0 } ?? false
        guard finished || now - lastShown >= 0.2 else { return nil }
        lastShown = now
        return line(now: now)
    }

    func line(now: Double = monotonicSeconds()) -> String {
        let elapsed = max(0.001, now - started)
        var parts = [phase + ":"]
        parts.append(total.map { "\(done)/\($0)" } ?? "\(done)")
        if bytes > 0 { parts.append("\(Self.size(bytes)), \(Self.size(Int64(Double(bytes) / elapsed)))/s") }
        if let total, done > 0, done < total {
            parts.append("ETA " + Self.duration(elapsed / Double(done) * Double(total - done)))
        }
        return parts.joined(separator: " ")
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : "\((value * 10).rounded() / 10) \(units[unit])"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(min(seconds, 359_999))
        if whole >= 3600 { return "\(whole / 3600)h\(whole % 3600 / 60)m" }
        if whole >= 60 { return "\(whole / 60)m\(whole % 60)s" }
        return "\(whole)s"
    }
}
