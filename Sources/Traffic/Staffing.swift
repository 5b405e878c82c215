/// What an Erlang C staffing must achieve.
public enum StaffingGoal: Sendable, Equatable {
    /// At least `fraction` of calls answered within `withinSeconds` (e.g. 80 % in 20 s).
    case serviceLevel(fraction: Double, withinSeconds: Double)
    /// The mean wait over all calls at most this many seconds.
    case maximumAverageSpeedOfAnswer(seconds: Double)
    /// The probability that a call waits at all at most this.
    case maximumWaitProbability(Double)

    func isMet(by queue: QueueModel) -> Bool {
        guard queue.isStable else { return false }
        switch self {
        case .serviceLevel(let fraction, let seconds): return queue.serviceLevel(withinSeconds: seconds) >= fraction
        case .maximumAverageSpeedOfAnswer(let seconds): return (queue.averageSpeedOfAnswerSeconds ?? .infinity) <= seconds
        case .maximumWaitProbability(let probability): return queue.waitProbability <= probability
        }
    }
}

public struct StaffingError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// The agents a traffic needs, in the manner of the public call-centre calculators (Call Centre
/// Helper's worked example; Koole, *Call Center Optimization*, §5.2):
///
/// 1. the smallest `N > A` whose Erlang C queue meets the goal (service level, ASA and wait
///    probability all improve as N grows, so the first N that meets it is the answer). The search
///    starts at ⌊A⌋ + 1 with B(N, A) from the Erlang B recursion and adds one agent per step with one
///    more recursion step: O(N) in all;
/// 2. then the occupancy cap: `N ≥ ceil(A / maxOccupancy)`;
/// 3. then shrinkage (breaks, training, absence): `scheduled = ceil(N / (1 − shrinkage))`.
///
/// Both ceilings ignore floating-point noise (`ceilingIgnoringNoise`): 14 / 0.7 schedules 20, not 21.
public struct Staffing: Sendable, Equatable {
    /// Agents on the phones: the goal's N, raised to the occupancy cap if there is one.
    public let agents: Int
    /// The goal's N before the occupancy cap.
    public let agentsForGoal: Int
    /// Agents to schedule once shrinkage takes its share.
    public let scheduledAgents: Int
    /// The queue with `agents` agents.
    public let queue: QueueModel

    /// The search gives up beyond this many agents (a goal no finite centre meets).
    public static let maximumAgents = 50_000_000

    /// A slot without any call: nobody to staff (the day planner's empty slots).
    public static func noCalls(averageHandleSeconds: Double) -> Staffing { Staffing(emptyWithHandleSeconds: averageHandleSeconds) }

    private init(emptyWithHandleSeconds averageHandleSeconds: Double) {
        agents = 0; agentsForGoal = 0; scheduledAgents = 0
        queue = QueueModel(agents: 0, trafficErlangs: 0, averageHandleSeconds: averageHandleSeconds)
    }

    public init(trafficErlangs: Double, averageHandleSeconds: Double, goal: StaffingGoal, maximumOccupancy: Double? = nil,
                shrinkage: Double = 0) throws(StaffingError) {
        guard trafficErlangs.isFinite, trafficErlangs >= 0 else { throw StaffingError(description: "traffic must be a finite number ≥ 0") }
        guard averageHandleSeconds.isFinite, averageHandleSeconds > 0 else { throw StaffingError(description: "AHT must be positive") }
        if let maximumOccupancy, !(maximumOccupancy > 0 && maximumOccupancy <= 1) {
            throw StaffingError(description: "maximum occupancy must be above 0 and at most 1")
        }
        guard shrinkage >= 0 && shrinkage < 1 else { throw StaffingError(description: "shrinkage must be at least 0 and below 1") }
        switch goal {
        case .serviceLevel(let fraction, let seconds):
            guard fraction > 0 && fraction < 1 else { throw StaffingError(description: "the service level must be above 0 and below 1") }
            guard seconds.isFinite && seconds >= 0 else { throw StaffingError(description: "the target time must be ≥ 0") }
        case .maximumAverageSpeedOfAnswer(let seconds):
            guard seconds.isFinite && seconds > 0 else { throw StaffingError(description: "the ASA ceiling must be positive") }
        case .maximumWaitProbability(let probability):
            guard probability > 0 && probability <= 1 else { throw StaffingError(description: "the wait probability must be above 0 and at most 1") }
        }
        // No traffic still gets the smallest N > A that meets the goal: 1 (a planner's slot without
        // calls uses `noCalls` instead, which staffs nobody).
        guard trafficErlangs < Double(Self.maximumAgents) else {
            throw StaffingError(description: "traffic of \(trafficErlangs) Erlangs is beyond this calculator (at most \(Self.maximumAgents) agents)")
        }
        var recursion = ErlangB.Recursion(traffic: trafficErlangs)
        let first = Int(trafficErlangs.rounded(.down)) + 1
        while recursion.lines < first { recursion.addLine() }
        var candidate = QueueModel(agents: recursion.lines, trafficErlangs: trafficErlangs, averageHandleSeconds: averageHandleSeconds,
                                   blocking: recursion.blocking)
        while !goal.isMet(by: candidate) {
            guard recursion.lines < Self.maximumAgents else {
                throw StaffingError(description: "the goal is not met with \(Self.maximumAgents) agents")
            }
            recursion.addLine()
            candidate = QueueModel(agents: recursion.lines, trafficErlangs: trafficErlangs, averageHandleSeconds: averageHandleSeconds,
                                   blocking: recursion.blocking)
        }
        agentsForGoal = candidate.agents
        var staffed = candidate.agents
        if let maximumOccupancy {
            staffed = max(staffed, Int(ceilingIgnoringNoise(trafficErlangs / maximumOccupancy)))
        }
        agents = staffed
        queue = staffed == candidate.agents ? candidate
            : QueueModel(agents: staffed, trafficErlangs: trafficErlangs, averageHandleSeconds: averageHandleSeconds)
        // 1 − shrinkage carries the rounding of `shrinkage` itself, magnified by 1 / (1 − shrinkage).
        scheduledAgents = Int(ceilingIgnoringNoise(Double(staffed) / (1 - shrinkage), relativeNoise: 8 * .ulpOfOne / (1 - shrinkage)))
    }
}
