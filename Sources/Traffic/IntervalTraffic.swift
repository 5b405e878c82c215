/// One call record reduced to what traffic needs (from a call-log record: `id`,
/// `telephonySessionId`, `startTime`, `duration`, `result`).
public struct CallObservation: Sendable, Equatable {
    public let callId: String
    /// `telephonySessionId` when the record has one, else the call id: the legs of a transferred call
    /// share a session and are one offered call.
    public let sessionKey: String
    public let startMillis: Int64
    public let durationMillis: Int64
    /// Result `Accepted` (inbound) or `Call connected` (outbound).
    public let answered: Bool

    public init(callId: String, sessionKey: String?, startMillis: Int64, durationMillis: Int64, answered: Bool) {
        self.callId = callId
        self.sessionKey = sessionKey ?? callId
        self.startMillis = startMillis
        self.durationMillis = durationMillis
        self.answered = answered
    }

    /// The results RingCentral gives a call that an agent or the called party took.
    public static func isAnswered(result: String?) -> Bool { result == "Accepted" || result == "Call connected" }
}

/// The figures of one interval `[startMillis, endMillis)`.
public struct IntervalFigures: Sendable, Equatable {
    public let startMillis: Int64
    public let endMillis: Int64
    /// Distinct sessions with a record starting in the interval, any result.
    public internal(set) var offeredCalls = 0
    /// Distinct sessions with an answered record starting in the interval.
    public internal(set) var answeredCalls = 0
    /// Σ over answered records (each call id once) of the overlap of [start, start + duration) with the interval.
    public internal(set) var carriedMillis: Int64 = 0
    /// Σ of the durations of the answered records starting in the interval.
    public internal(set) var answeredDurationMillis: Int64 = 0

    public init(startMillis: Int64, endMillis: Int64) {
        self.startMillis = startMillis
        self.endMillis = endMillis
    }

    public var lengthSeconds: Double { Double(endMillis - startMillis) / 1000 }

    /// Carried traffic: busy call-time in the interval ÷ the interval's length.
    public var carriedErlangs: Double { Double(carriedMillis) / Double(endMillis - startMillis) }

    /// Mean handle time of the interval's answered calls (a transferred call's legs add up); nil when none.
    public var ahtSeconds: Double? {
        answeredCalls > 0 ? Double(answeredDurationMillis) / 1000 / Double(answeredCalls) : nil
    }

    /// Offered traffic, `offeredCalls × AHT ÷ length`: 0 with no calls; nil when calls were offered
    /// but none answered (no AHT to multiply by).
    public var offeredErlangs: Double? {
        guard offeredCalls > 0 else { return 0 }
        return ahtSeconds.map { Double(offeredCalls) * $0 / lengthSeconds }
    }
}

/// Adds call records into consecutive intervals, reading each record once, in any order within a
/// sliding window: per-interval sets of session ids (to count sessions, not legs) and per-day sets of
/// call ids (to count a call once) are kept only until `forget(before:)` says no more records of
/// those times will come. Memory is then bounded by the calls of the window (the archive is walked
/// day by day), plus one `IntervalFigures` per interval of the report.
public struct TrafficTally: Sendable {
    public private(set) var intervals: [IntervalFigures]
    private var sessionsByInterval: [Int: (offered: Set<String>, answered: Set<String>)] = [:]
    private var callIdsByDay: [Int64: Set<String>] = [:]
    /// The period's sessions, by the UTC day of the record that brought them: a session's legs start
    /// within a day of each other, so looking at the neighbouring days finds an earlier leg.
    private var periodSessionsByDay: [Int64: (offered: Set<String>, answered: Set<String>)] = [:]
    public private(set) var duplicateRecords = 0
    /// Distinct sessions with a record starting in the period (a transfer whose legs start in two
    /// intervals is offered in both, but is one call of the period), and those with an answered one.
    public private(set) var periodOfferedCalls = 0
    public private(set) var periodAnsweredCalls = 0

    /// `boundaries` strictly increasing, at least two: interval i is [boundaries[i], boundaries[i+1]).
    public init(boundaries: [Int64]) {
        precondition(boundaries.count >= 2 && zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 < $1 })
        intervals = zip(boundaries, boundaries.dropFirst()).map { IntervalFigures(startMillis: $0, endMillis: $1) }
    }

    public var startMillis: Int64 { intervals[0].startMillis }
    public var endMillis: Int64 { intervals[intervals.count - 1].endMillis }

    /// The interval containing `millis`, by binary search.
    public func intervalIndex(containing millis: Int64) -> Int? {
        guard millis >= startMillis && millis < endMillis else { return nil }
        var low = 0, high = intervals.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if intervals[middle].startMillis <= millis { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Adds one record. Returns false when its call id was already counted (the same call twice).
    @discardableResult
    public mutating func add(_ call: CallObservation) -> Bool {
        let day = Self.day(of: call.startMillis)
        guard callIdsByDay[day, default: []].insert(call.callId).inserted else {
            duplicateRecords += 1
            return false
        }
        if let index = intervalIndex(containing: call.startMillis) {
            // Taken out and put back, so the sets are mutated in place rather than copied.
            var sessions = sessionsByInterval.removeValue(forKey: index) ?? ([], [])
            if sessions.offered.insert(call.sessionKey).inserted { intervals[index].offeredCalls += 1 }
            if call.answered {
                if sessions.answered.insert(call.sessionKey).inserted { intervals[index].answeredCalls += 1 }
                intervals[index].answeredDurationMillis += call.durationMillis
            }
            sessionsByInterval[index] = sessions
            if firstInPeriod(call.sessionKey, day: day, answered: false) { periodOfferedCalls += 1 }
            if call.answered && firstInPeriod(call.sessionKey, day: day, answered: true) { periodAnsweredCalls += 1 }
        }
        guard call.answered && call.durationMillis > 0 else { return true }
        // Spread the busy time over every interval it overlaps.
        let end = call.startMillis + call.durationMillis
        guard end > startMillis && call.startMillis < endMillis else { return true }
        var index = intervalIndex(containing: max(call.startMillis, startMillis)) ?? 0
        while index < intervals.count && intervals[index].startMillis < end {
            let overlap = min(end, intervals[index].endMillis) - max(call.startMillis, intervals[index].startMillis)
            if overlap > 0 { intervals[index].carriedMillis += overlap }
            index += 1
        }
        return true
    }

    /// Records `session` as seen in the period (offered, or answered); true the first time.
    private mutating func firstInPeriod(_ session: String, day: Int64, answered: Bool) -> Bool {
        for neighbour in [day - 1, day + 1] {
            if let seen = periodSessionsByDay[neighbour], (answered ? seen.answered : seen.offered).contains(session) { return false }
        }
        var sets = periodSessionsByDay.removeValue(forKey: day) ?? ([], [])
        let inserted = answered ? sets.answered.insert(session).inserted : sets.offered.insert(session).inserted
        periodSessionsByDay[day] = sets
        return inserted
    }

    /// No record starting before `millis` will be added any more: frees the sets that only served
    /// to count such records once.
    public mutating func forget(before millis: Int64) {
        let day = Self.day(of: millis)
        for key in callIdsByDay.keys where key < day { callIdsByDay[key] = nil }
        for key in periodSessionsByDay.keys where key < day - 1 { periodSessionsByDay[key] = nil }
        for key in sessionsByInterval.keys where intervals[key].endMillis <= millis { sessionsByInterval[key] = nil }
    }

    /// How many session and call-id entries are held (for tests of the bounded window).
    public var heldEntries: Int {
        callIdsByDay.values.reduce(0) { $0 + $1.count } + sessionsByInterval.values.reduce(0) { $0 + $1.offered.count + $1.answered.count }
            + periodSessionsByDay.values.reduce(0) { $0 + $1.offered.count + $1.answered.count }
    }

    static func day(of millis: Int64) -> Int64 { millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000 }

    public var totals: TrafficTotals { TrafficTotals(intervals, offeredCalls: periodOfferedCalls, answeredCalls: periodAnsweredCalls) }
}

/// Totals over a report's intervals.
public struct TrafficTotals: Sendable, Equatable {
    /// Distinct calls (sessions) of the period; with transfers whose legs start in different intervals,
    /// fewer than the sum of the intervals' `offeredCalls`.
    public let offeredCalls: Int
    public let answeredCalls: Int
    /// Carried call-hours inside the report's time range.
    public let callHours: Double
    /// Carried Erlangs over the whole range (call-time ÷ the range's length).
    public let meanCarriedErlangs: Double
    public let peakCarriedErlangs: Double
    /// The first interval with the peak carried traffic; nil when nothing was carried.
    public let busyInterval: Int?
    /// Mean handle time of all answered calls (a call's legs add up); nil when none.
    public let ahtSeconds: Double?

    /// Totals of `intervals`; the period's distinct calls when known (`TrafficTally` knows them), else
    /// the sum of the intervals' counts.
    public init(_ intervals: [IntervalFigures], offeredCalls: Int? = nil, answeredCalls: Int? = nil) {
        self.offeredCalls = offeredCalls ?? intervals.reduce(0) { $0 + $1.offeredCalls }
        self.answeredCalls = answeredCalls ?? intervals.reduce(0) { $0 + $1.answeredCalls }
        let carried = intervals.reduce(Int64(0)) { $0 + $1.carriedMillis }
        callHours = Double(carried) / 3_600_000
        let length = (intervals.last?.endMillis ?? 0) - (intervals.first?.startMillis ?? 0)
        meanCarriedErlangs = length > 0 ? Double(carried) / Double(length) : 0
        var peak = 0.0
        var busy: Int?
        for (index, interval) in intervals.enumerated() where interval.carriedErlangs > peak {
            peak = interval.carriedErlangs
            busy = index
        }
        peakCarriedErlangs = peak
        busyInterval = busy
        let answeredMillis = intervals.reduce(Int64(0)) { $0 + $1.answeredDurationMillis }
        ahtSeconds = self.answeredCalls > 0 ? Double(answeredMillis) / 1000 / Double(self.answeredCalls) : nil
    }
}
