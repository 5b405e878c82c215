import ArgumentParser
import RinglogSupport
import Traffic

/// `ringlog erlang`: the calculator. Needs no archive.
struct ErlangCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erlang",
        abstract: "Erlang calculator: traffic, Erlang C queues and staffing, Erlang B lines.",
        discussion: """
            Needs no archive. Durations take seconds (180) or a unit: 30s, 30m, 1.5h, 2d.
            Probabilities take a fraction (0.8) or a percentage (80%). Every subcommand takes
            --json (one object, numbers at full double precision).

            Traffic in Erlangs is calls × AHT ÷ period: 100 calls of 3 minutes in half an hour
            keep 10 agents busy on average (10 Erlangs). Erlang C adds the queue: with 14
            agents, 17 % of those calls wait, 88.8 % are answered within 20 s.

            Examples:
              ringlog erlang traffic --calls 100 --aht 3m --period 30m
              ringlog erlang traffic --ccs 360
              ringlog erlang c --agents 14 --traffic 10 --aht 180 --target 20s
              ringlog erlang staff --calls 100 --period 30m --aht 180 \\
                  --service-level 80% --target 20s --max-occupancy 85% --shrinkage 30%
              ringlog erlang staff --arrival-rate 0.2 --aht 4m --max-asa 15s
              ringlog erlang b --lines 15 --max-blocking 1%      (most traffic 15 lines carry)
              ringlog erlang b --traffic 8.1 --max-blocking 1%   (fewest lines)
              ringlog erlang b --lines 15 --traffic 8.1          (blocking)

            Service level is the share of all calls answered within the target, ASA the mean
            wait over all calls (not only those that waited). With agents ≤ traffic the
            queue never empties: every call waits, service level 0, ASA infinite (JSON null).
            """,
        subcommands: [ErlangTrafficCommand.self, ErlangCCommand.self, ErlangStaffCommand.self, ErlangBCommand.self])
}

// MARK: - Shared options

// Every value option of the calculator parses `.unconditional`: the word after the flag is its value
// even when it starts with "-", so `--aht -5` says "--aht must not be negative" (exit 2) rather than
// "Missing value for '--aht'".

/// `--traffic A | --calls N --period D | --arrival-rate PER_SECOND`, with `--aht D`.
struct OfferedTrafficOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Offered traffic in Erlangs.", valueName: "erlangs")) var traffic: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Calls offered in --period.", valueName: "count")) var calls: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("The period the --calls arrive in (e.g. 30m, 1h).", valueName: "duration")) var period: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Calls arriving per second.", valueName: "per-second")) var arrivalRate: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Average handle time: talk plus wrap-up (e.g. 180, 3m).", valueName: "duration")) var aht: String?
}

struct OfferedTraffic {
    let erlangs: Double
    let ahtSeconds: Double
}

extension OfferedTrafficOptions {
    func resolve() throws(ConfigurationError) -> OfferedTraffic {
        guard let aht else { throw ConfigurationError("--aht is required (average handle time, e.g. --aht 180 or --aht 3m)") }
        let ahtSeconds = try FlagValues.positiveDuration(aht, flag: "--aht")
        let given = [traffic != nil, calls != nil || period != nil, arrivalRate != nil].filter { $0 }.count
        guard given == 1 else {
            throw ConfigurationError(given == 0 ? "give the traffic: --traffic A, or --calls N --period D, or --arrival-rate PER_SECOND"
                                     : "give only one of --traffic, --calls/--period and --arrival-rate")
        }
        if let traffic {
            return OfferedTraffic(erlangs: try FlagValues.nonNegativeNumber(traffic, flag: "--traffic"), ahtSeconds: ahtSeconds)
        }
        if let arrivalRate {
            let rate = try FlagValues.positiveNumber(arrivalRate, flag: "--arrival-rate")
            return OfferedTraffic(erlangs: TrafficIntensity.erlangs(arrivalsPerSecond: rate, averageHandleSeconds: ahtSeconds), ahtSeconds: ahtSeconds)
        }
        guard let calls else { throw ConfigurationError("--period needs --calls (the calls offered in that period)") }
        guard let period else { throw ConfigurationError("--calls needs --period (the period they arrive in, e.g. --period 30m)") }
        let count = try FlagValues.positiveNumber(calls, flag: "--calls")
        let periodSeconds = try FlagValues.positiveDuration(period, flag: "--period")
        return OfferedTraffic(erlangs: TrafficIntensity.erlangs(calls: count, averageHandleSeconds: ahtSeconds, periodSeconds: periodSeconds),
                              ahtSeconds: ahtSeconds)
    }
}

/// `(--service-level P --target D | --max-asa D | --max-wait-probability P)`.
struct StaffingGoalOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Share of calls to answer within --target (e.g. 80%).", valueName: "probability")) var serviceLevel: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("The service level's answer time (e.g. 20s).", valueName: "duration")) var target: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Ceiling on the mean wait over all calls (e.g. 15s).", valueName: "duration")) var maxAsa: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Ceiling on the share of calls that wait at all (e.g. 20%).", valueName: "probability"))
    var maxWaitProbability: String?

    func resolve() throws(ConfigurationError) -> StaffingGoal {
        try Self.resolve(serviceLevel: serviceLevel, target: target, maxAsa: maxAsa, maxWaitProbability: maxWaitProbability)
    }

    static func resolve(serviceLevel: String?, target: String?, maxAsa: String?, maxWaitProbability: String?,
                        allowWaitProbability: Bool = true) throws(ConfigurationError) -> StaffingGoal {
        let given = [serviceLevel != nil || target != nil, maxAsa != nil, maxWaitProbability != nil].filter { $0 }.count
        let choices = allowWaitProbability ? "--service-level P --target D, --max-asa D or --max-wait-probability P"
            : "--service-level P --target D or --max-asa D"
        guard given == 1 else { throw ConfigurationError(given == 0 ? "give the goal: \(choices)" : "give only one goal: \(choices)") }
        if let maxAsa { return .maximumAverageSpeedOfAnswer(seconds: try FlagValues.positiveDuration(maxAsa, flag: "--max-asa")) }
        if let maxWaitProbability {
            guard allowWaitProbability else { throw ConfigurationError("--max-wait-probability is not a goal here; give \(choices)") }
            return .maximumWaitProbability(try FlagValues.probability(maxWaitProbability, flag: "--max-wait-probability", open: .atOne))
        }
        guard let serviceLevel else { throw ConfigurationError("--target needs --service-level (e.g. --service-level 80% --target 20s)") }
        guard let target else { throw ConfigurationError("--service-level needs --target (the answer time, e.g. --target 20s)") }
        return .serviceLevel(fraction: try FlagValues.probability(serviceLevel, flag: "--service-level", open: .both),
                             withinSeconds: try FlagValues.duration(target, flag: "--target"))
    }
}

/// `[--max-occupancy P] [--shrinkage P]`.
struct StaffingAdjustmentOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Cap on occupancy: at least traffic ÷ P agents (e.g. 85%).", valueName: "probability")) var maxOccupancy: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Share of paid time off the phones: scheduled = agents ÷ (1 − P) (e.g. 30%).", valueName: "probability"))
    var shrinkage: String?

    func resolve() throws(ConfigurationError) -> (maximumOccupancy: Double?, shrinkage: Double) {
        try Self.resolve(maxOccupancy: maxOccupancy, shrinkage: shrinkage)
    }

    static func resolve(maxOccupancy: String?, shrinkage: String?) throws(ConfigurationError) -> (maximumOccupancy: Double?, shrinkage: Double) {
        let occupancy = try maxOccupancy.map { value throws(ConfigurationError) in
            try FlagValues.probability(value, flag: "--max-occupancy", open: .atOne)
        }
        let shrink = try shrinkage.map { value throws(ConfigurationError) in
            try FlagValues.probability(value, flag: "--shrinkage", open: .belowOne)
        } ?? 0
        return (occupancy, shrink)
    }
}

/// What a calculator command prints: a JSON object, or a short table.
struct CalculatorResult {
    var json = JSONObject()
    var rows: [(String, String)] = []

    mutating func add(_ key: String, _ value: JSON, _ label: String, _ text: String) {
        json[key] = value
        rows.append((label, text))
    }

    var text: String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }

    func emit(json asJSON: Bool) { print(asJSON ? JSON.object(json).serialized() : text) }
}

/// The figures of a queue, as `erlang c` and `erlang staff` print them.
extension CalculatorResult {
    mutating func addQueue(_ queue: QueueModel, target: Double?, threshold: Double?) {
        if let target {
            add("serviceLevel", .double(queue.serviceLevel(withinSeconds: target)), "service level",
                queue.isStable ? "\(Format.percent(queue.serviceLevel(withinSeconds: target))) answered within \(Format.seconds(target))"
                    : "0 % (unstable: agents ≤ traffic)")
        }
        add("waitProbability", .double(queue.waitProbability), "wait probability", Format.percent(queue.waitProbability) + " of calls wait")
        if let threshold {
            add("waitBeyondThreshold", .double(queue.probabilityOfWaitingLonger(than: threshold)), "waits beyond \(Format.seconds(threshold))",
                Format.percent(queue.probabilityOfWaitingLonger(than: threshold)))
        }
        add("asaSeconds", .double(queue.averageSpeedOfAnswerSeconds), "ASA",
            queue.averageSpeedOfAnswerSeconds.map { Format.seconds($0) + " mean wait over all calls" } ?? "unstable: agents ≤ traffic")
        add("occupancy", .double(queue.occupancy), "occupancy", queue.occupancy.map { Format.percent($0) } ?? "–")
    }
}

// MARK: - Subcommands

struct ErlangTrafficCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Traffic in Erlangs from calls, AHT and period, or from CCS.",
        discussion: """
            A = calls × AHT ÷ period. 1 Erlang = 36 CCS (hundred call-seconds per hour).
            Examples:
              ringlog erlang traffic --calls 100 --aht 3m --period 30m     → 10 Erlangs
              ringlog erlang traffic --ccs 360 --json                      → {"trafficErlangs":10.0}
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Calls in --period.", valueName: "count")) var calls: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Average handle time (e.g. 180, 3m).", valueName: "duration")) var aht: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("The period the calls arrive in (e.g. 30m).", valueName: "duration")) var period: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Traffic in CCS instead.", valueName: "ccs")) var ccs: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try withConfigurationErrors("erlang traffic") { try compute() }.emit(json: json)
    }

    func compute() throws(ConfigurationError) -> CalculatorResult {
        var result = CalculatorResult()
        if let ccs {
            guard calls == nil && aht == nil && period == nil else { throw ConfigurationError("give either --ccs or --calls/--aht/--period, not both") }
            let value = try FlagValues.nonNegativeNumber(ccs, flag: "--ccs")
            let erlangs = TrafficIntensity.erlangs(ccs: value)
            result.add("trafficErlangs", .double(erlangs), "traffic", Format.erlangs(erlangs))
            return result
        }
        guard let calls else { throw ConfigurationError("give --calls N --aht D --period D, or --ccs X") }
        guard let aht else { throw ConfigurationError("--aht is required with --calls (average handle time, e.g. --aht 3m)") }
        guard let period else { throw ConfigurationError("--period is required with --calls (e.g. --period 30m)") }
        let count = try FlagValues.nonNegativeNumber(calls, flag: "--calls")
        let ahtSeconds = try FlagValues.positiveDuration(aht, flag: "--aht")
        let periodSeconds = try FlagValues.positiveDuration(period, flag: "--period")
        let erlangs = TrafficIntensity.erlangs(calls: count, averageHandleSeconds: ahtSeconds, periodSeconds: periodSeconds)
        let perHour = count * 3_600 / periodSeconds
        let workload = count * ahtSeconds / 3_600
        result.add("trafficErlangs", .double(erlangs), "traffic", Format.erlangs(erlangs))
        result.add("callsPerHour", .double(perHour), "calls per hour", Format.number(perHour))
        result.add("workloadHours", .double(workload), "workload", Format.number(workload) + " agent-hours")
        return result
    }
}

struct ErlangCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "c",
        abstract: "An Erlang C queue: wait probability, service level, ASA, occupancy for N agents.",
        discussion: """
            C = N·B ÷ (N − A·(1 − B)) with B the Erlang B blocking; SL(T) = 1 − C·e^(−(N−A)·T/AHT);
            ASA = C·AHT ÷ (N − A); occupancy = A ÷ N.
            Examples:
              ringlog erlang c --agents 14 --traffic 10 --aht 180 --target 20s
              ringlog erlang c --agents 55 --calls 360 --period 30m --aht 4m --target 15s --threshold 1m
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Agents answering.", valueName: "count")) var agents: String?
    @OptionGroup var offered: OfferedTrafficOptions
    @Option(parsing: .unconditional, help: ArgumentHelp("Report the service level for this answer time (e.g. 20s).", valueName: "duration")) var target: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Report the share of calls waiting longer than this.", valueName: "duration")) var threshold: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try withConfigurationErrors("erlang c") { try compute() }.emit(json: json)
    }

    func compute() throws(ConfigurationError) -> CalculatorResult {
        guard let agents else { throw ConfigurationError("--agents is required (the agents answering)") }
        let count = try FlagValues.positiveInteger(agents, flag: "--agents")
        let traffic = try offered.resolve()
        let targetSeconds = try target.map { value throws(ConfigurationError) in try FlagValues.duration(value, flag: "--target") }
        let thresholdSeconds = try threshold.map { value throws(ConfigurationError) in try FlagValues.duration(value, flag: "--threshold") }
        let queue = QueueModel(agents: count, trafficErlangs: traffic.erlangs, averageHandleSeconds: traffic.ahtSeconds)
        var result = CalculatorResult()
        result.add("trafficErlangs", .double(traffic.erlangs), "traffic", Format.erlangs(traffic.erlangs))
        result.add("agents", .int(count), "agents", String(count) + (queue.isStable ? "" : " (unstable: agents ≤ traffic)"))
        result.addQueue(queue, target: targetSeconds, threshold: thresholdSeconds)
        return result
    }
}

struct ErlangStaffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "The fewest agents that meet a service level, an ASA ceiling or a wait-probability ceiling.",
        discussion: """
            The smallest N above the traffic whose Erlang C queue meets the goal; then at least
            traffic ÷ --max-occupancy agents; then scheduled = agents ÷ (1 − --shrinkage), both
            rounded up. Without --max-occupancy and --shrinkage, scheduled = agents.
            Examples (Call Centre Helper's worked example: 14 agents, 20 scheduled):
              ringlog erlang staff --calls 100 --period 30m --aht 180 \\
                  --service-level 80% --target 20s --shrinkage 30%
              ringlog erlang staff --traffic 48 --aht 240 --max-asa 10s
              ringlog erlang staff --arrival-rate 0.05 --aht 5m --max-wait-probability 10%
            """)

    @OptionGroup var offered: OfferedTrafficOptions
    @OptionGroup var goal: StaffingGoalOptions
    @OptionGroup var adjustments: StaffingAdjustmentOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try withConfigurationErrors("erlang staff") { try compute() }.emit(json: json)
    }

    func compute() throws(ConfigurationError) -> CalculatorResult {
        let traffic = try offered.resolve()
        let staffingGoal = try goal.resolve()
        let (occupancy, shrinkage) = try adjustments.resolve()
        let staffing: Staffing
        do {
            staffing = try Staffing(trafficErlangs: traffic.erlangs, averageHandleSeconds: traffic.ahtSeconds, goal: staffingGoal,
                                    maximumOccupancy: occupancy, shrinkage: shrinkage)
        } catch { throw ConfigurationError(error.description) }
        var result = CalculatorResult()
        result.add("trafficErlangs", .double(traffic.erlangs), "traffic", Format.erlangs(traffic.erlangs))
        result.add("agents", .int(staffing.agents), "agents",
                   String(staffing.agents) + (staffing.agents > staffing.agentsForGoal ? " (\(staffing.agentsForGoal) for the goal, raised by the occupancy cap)" : ""))
        result.add("scheduledAgents", .int(staffing.scheduledAgents), "scheduled",
                   String(staffing.scheduledAgents) + (shrinkage > 0 ? " (with \(Format.percent(shrinkage)) shrinkage)" : ""))
        var target: Double?
        if case .serviceLevel(_, let seconds) = staffingGoal { target = seconds }
        result.addQueue(staffing.queue, target: target, threshold: nil)
        return result
    }
}

struct ErlangBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "b",
        abstract: "Erlang B (lost calls cleared): blocking, the most traffic N lines carry, or the fewest lines.",
        discussion: """
            Give two of --lines, --traffic and --max-blocking; the third is computed.
            B(0) = 1, B(k) = A·B(k−1) ÷ (k + A·B(k−1)).
            Examples:
              ringlog erlang b --lines 15 --traffic 8.108         → blocking 1 %
              ringlog erlang b --lines 15 --max-blocking 1%       → 8.108 Erlangs
              ringlog erlang b --traffic 8.108 --max-blocking 1%  → 15 lines
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Lines (trunks, channels).", valueName: "count")) var lines: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Offered traffic in Erlangs.", valueName: "erlangs")) var traffic: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Blocking target (e.g. 1%).", valueName: "probability")) var maxBlocking: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try withConfigurationErrors("erlang b") { try compute() }.emit(json: json)
    }

    func compute() throws(ConfigurationError) -> CalculatorResult {
        var result = CalculatorResult()
        switch (lines, traffic, maxBlocking) {
        case (let lines?, let traffic?, nil):
            let count = try FlagValues.nonNegativeInteger(lines, flag: "--lines")
            let erlangs = try FlagValues.nonNegativeNumber(traffic, flag: "--traffic")
            let blocking = ErlangB.blocking(lines: count, traffic: erlangs)
            result.add("blocking", .double(blocking), "blocking", Format.percent(blocking) + " of calls find every line busy")
        case (let lines?, nil, let maxBlocking?):
            let count = try FlagValues.positiveInteger(lines, flag: "--lines")
            let target = try FlagValues.probability(maxBlocking, flag: "--max-blocking", open: .both)
            let erlangs = ErlangB.maximumTraffic(lines: count, blocking: target)
            result.add("trafficErlangs", .double(erlangs), "traffic", Format.erlangs(erlangs) + " at most, for \(count) lines at \(Format.percent(target)) blocking")
        case (nil, let traffic?, let maxBlocking?):
            let erlangs = try FlagValues.positiveNumber(traffic, flag: "--traffic")
            let target = try FlagValues.probability(maxBlocking, flag: "--max-blocking", open: .atOne)
            guard erlangs < 1e7 else { throw ConfigurationError("--traffic \(traffic) is beyond this calculator (at most 10,000,000 Erlangs)") }
            let count = ErlangB.fewestLines(traffic: erlangs, blocking: target)
            result.add("lines", .int(count), "lines", "\(count) lines for \(Format.erlangs(erlangs)) at \(Format.percent(target)) blocking")
        default:
            throw ConfigurationError("give two of --lines, --traffic and --max-blocking")
        }
        return result
    }
}
