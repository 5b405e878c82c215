/// A slot of the day planner: a time of day, on one weekday (`--by weekday`) or on any day (`--by day`).
public struct PlanSlotKey: Sendable, Hashable, Comparable {
    /// ISO weekday, 1 = Monday … 7 = Sunday; nil for the slots of an average day.
    public let weekday: Int?
    /// Local wall-clock minutes since midnight of the interval's start.
    public let minuteOfDay: Int

    public init(weekday: Int?, minuteOfDay: Int) {
        self.weekday = weekday
        self.minuteOfDay = minuteOfDay
    }

    public static func < (lhs: PlanSlotKey, rhs: PlanSlotKey) -> Bool {
        (lhs.weekday ?? 0, lhs.minuteOfDay) < (rhs.weekday ?? 0, rhs.minuteOfDay)
    }
}

/// One planned slot: the sample's mean offered calls in it, the AHT, the traffic and the staffing.
public struct PlanSlot: Sendable {
    public let key: PlanSlotKey
    /// How many intervals of the sample fell on this slot (the divisor of the mean).
    public let occurrences: Int
    /// Mean offered calls per occurrence, times the growth factor.
    public let offeredCalls: Double
    /// The slot's measured AHT (its answered calls), else the sample's, else `--aht`; nil when nothing
    /// was answered anywhere and no AHT was given (then the slot has no calls either).
    public let ahtSeconds: Double?
    public let trafficErlangs: Double
    public let staffing: Staffing
}

public struct PlanSettings: Sendable {
    public var intervalSeconds: Double
    public var goal: StaffingGoal
    /// Overrides the measured AHT.
    public var ahtSeconds: Double?
    public var maximumOccupancy: Double?
    public var shrinkage = 0.0
    /// Forecast growth: offered calls are multiplied by it.
    public var growth = 1.0

    public init(intervalSeconds: Double, goal: StaffingGoal, ahtSeconds: Double? = nil, maximumOccupancy: Double? = nil,
                shrinkage: Double = 0, growth: Double = 1) {
        self.intervalSeconds = intervalSeconds
        self.goal = goal
        self.ahtSeconds = ahtSeconds
        self.maximumOccupancy = maximumOccupancy
        self.shrinkage = shrinkage
        self.growth = growth
    }
}

/// The day planner: averages a sample of intervals per slot and staffs each slot with Erlang C.
///
/// A slot's offered calls are the mean over the sample's intervals that fall on it (a Monday 09:00
/// slot over four weeks is the mean of four intervals; on a day that gains an hour, the repeated
/// hour is two occurrences of its slot, and on a day that loses one, that slot simply has one
/// occurrence fewer). Traffic = offered calls × AHT ÷ interval length.
public enum DayPlan {
    public struct Sample: Sendable {
        public let key: PlanSlotKey
        public let figures: IntervalFigures
        public init(key: PlanSlotKey, figures: IntervalFigures) {
            self.key = key
            self.figures = figures
        }
    }

    public static func build(_ samples: [Sample], settings: PlanSettings) throws(StaffingError) -> [PlanSlot] {
        struct Sums { var occurrences = 0, offered = 0, answered = 0, answeredMillis: Int64 = 0 }
        var sums: [PlanSlotKey: Sums] = [:]
        var answered = 0
        var answeredMillis: Int64 = 0
        for sample in samples {
            sums[sample.key, default: Sums()].occurrences += 1
            sums[sample.key]!.offered += sample.figures.offeredCalls
            sums[sample.key]!.answered += sample.figures.answeredCalls
            sums[sample.key]!.answeredMillis += sample.figures.answeredDurationMillis
            answered += sample.figures.answeredCalls
            answeredMillis += sample.figures.answeredDurationMillis
        }
        let sampleAHT: Double? = answered > 0 ? Double(answeredMillis) / 1000 / Double(answered) : nil
        var slots: [PlanSlot] = []
        for (key, sum) in sums.sorted(by: { $0.key < $1.key }) {
            let offered = Double(sum.offered) / Double(sum.occurrences) * settings.growth
            let aht = settings.ahtSeconds ?? (sum.answered > 0 ? Double(sum.answeredMillis) / 1000 / Double(sum.answered) : sampleAHT)
            guard let aht else {
                guard offered == 0 else {
                    throw StaffingError(description: "no answered inbound call in the sample to measure the AHT from; give --aht")
                }
                let staffing = Staffing.noCalls(averageHandleSeconds: 1)
                slots.append(PlanSlot(key: key, occurrences: sum.occurrences, offeredCalls: 0, ahtSeconds: nil, trafficErlangs: 0, staffing: staffing))
                continue
            }
            let traffic = TrafficIntensity.erlangs(calls: offered, averageHandleSeconds: aht, periodSeconds: settings.intervalSeconds)
            let staffing = offered == 0 ? Staffing.noCalls(averageHandleSeconds: aht)
                : try Staffing(trafficErlangs: traffic, averageHandleSeconds: aht, goal: settings.goal,
                               maximumOccupancy: settings.maximumOccupancy, shrinkage: settings.shrinkage)
            slots.append(PlanSlot(key: key, occurrences: sum.occurrences, offeredCalls: offered, ahtSeconds: aht, trafficErlangs: traffic,
                                  staffing: staffing))
        }
        return slots
    }
}
