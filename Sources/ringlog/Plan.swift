import ArchiveStore
import ArgumentParser
import RinglogSupport
import Traffic

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Day planner: agents per interval of the day, from the archive's inbound calls and Erlang C.",
        discussion: """
            Takes the inbound calls of --from … --to as the sample (one pass over the call
            sidecars, no network, no lease) and gives, for each slot, the mean offered calls per
            occurrence of that slot in the sample, the AHT measured in it (or --aht), the
            traffic, and the agents that meet the goal, exactly as `ringlog erlang staff` would
            (no occupancy cap, no shrinkage and growth 1 unless given):
              --by weekday   (default) each weekday × interval of the day: Monday 09:00 over
                             four weeks is the mean of four Monday 09:00 intervals
              --by day       the intervals of an average day
            A slot's AHT is its own answered calls' mean, else the sample's. Intervals align to
            --timezone (default UTC); --growth scales the calls (1.1 = 10 % more).

            Examples:
              ringlog plan --root /srv/archive --tenant 3f9c2a71d04e8b16 \\
                  --from 2026-10-05 --to 2026-11-01 --service-level 80% --target 20s \\
                  --timezone America/New_York --shrinkage 30% --chart plan.svg
              ringlog plan --tenant 3f9c2a71d04e8b16 --from 2026-11-01 --to 2026-11-14 \\
                  --by day --interval 1h --max-asa 30s --max-occupancy 85% --growth 1.1 --csv
            """)

    @OptionGroup var root: RootOption
    @OptionGroup var report: ReportOptions
    @Option(help: ArgumentHelp("Slot length: 15m, 30m or 1h.", valueName: "interval")) var interval = "30m"
    @Option(help: ArgumentHelp("weekday (each weekday's intervals) or day (an average day).", valueName: "weekday|day")) var by = "weekday"
    @Option(parsing: .unconditional, help: ArgumentHelp("Share of calls to answer within --target (e.g. 80%).", valueName: "probability")) var serviceLevel: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("The service level's answer time (e.g. 20s).", valueName: "duration")) var target: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Ceiling on the mean wait over all calls (e.g. 30s).", valueName: "duration")) var maxAsa: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Use this AHT instead of the measured one (e.g. 4m).", valueName: "duration")) var aht: String?
    @OptionGroup var adjustments: StaffingAdjustmentOptions
    @Option(parsing: .unconditional, help: ArgumentHelp("Multiply the sample's calls by this (e.g. 1.1).", valueName: "factor")) var growth: String?
    @Option(help: ArgumentHelp("Only these extension folders (repeatable).", valueName: "folder")) var `extension`: [String] = []
    @OptionGroup var output: ReportOutputOptions

    func run() throws {
        let inputs = try withConfigurationErrors("plan") { () throws -> PlanInputs in
            try PlanInputs(root: root.path, tenant: report.tenant, from: report.from, to: report.to, timezone: report.timezone, interval: interval, by: by, serviceLevel: serviceLevel, target: target,
                           maxAsa: maxAsa, aht: aht, maxOccupancy: adjustments.maxOccupancy, shrinkage: adjustments.shrinkage,
                           growth: growth, extensions: `extension`)
        }
        try output.check()
        let plan = try withConfigurationErrors("plan") { try DayPlanReport.make(inputs) }
        for line in plan.traffic.skippedLines { printError("ringlog plan: " + line) }
        try output.emit(command: "plan", text: plan.text, csv: plan.csv, json: plan.json, chart: plan.chart)
    }
}

/// `plan`'s inputs, checked (each error names its flag).
struct PlanInputs {
    let traffic: TrafficInputs
    let byWeekday: Bool
    let settings: PlanSettings
    let target: Double?

    init(root: String, tenant: String?, from: String, to: String, timezone: String, interval: String, by: String, serviceLevel: String?, target: String?, maxAsa: String?,
         aht: String?, maxOccupancy: String?, shrinkage: String?, growth: String?, extensions: [String]) throws {
        guard by == "weekday" || by == "day" else { throw ConfigurationError("--by must be weekday or day, not \(by.debugDescription)") }
        let goal = try StaffingGoalOptions.resolve(serviceLevel: serviceLevel, target: target, maxAsa: maxAsa, maxWaitProbability: nil,
                                                   allowWaitProbability: false)
        let ahtSeconds = try aht.map { value throws(ConfigurationError) in try FlagValues.positiveDuration(value, flag: "--aht") }
        let (occupancy, shrink) = try StaffingAdjustmentOptions.resolve(maxOccupancy: maxOccupancy, shrinkage: shrinkage)
        let factor = try growth.map { value throws(ConfigurationError) in try FlagValues.positiveNumber(value, flag: "--growth") } ?? 1
        traffic = try TrafficInputs(root: root, tenant: tenant, from: from, to: to, interval: interval, direction: "inbound",
                                    extensions: extensions, timeZone: timezone, allowDays: false)
        byWeekday = by == "weekday"
        settings = PlanSettings(intervalSeconds: traffic.window.interval.seconds, goal: goal, ahtSeconds: ahtSeconds, maximumOccupancy: occupancy,
                                shrinkage: shrink, growth: factor)
        if case .serviceLevel(_, let seconds) = goal { self.target = seconds } else { self.target = nil }
    }
}

/// `ringlog plan`'s result in its three forms and its chart.
struct DayPlanReport {
    let inputs: PlanInputs
    let traffic: TrafficReport
    let slots: [PlanSlot]

    static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    static func make(_ inputs: PlanInputs) throws -> DayPlanReport {
        let traffic = try TrafficReport.make(inputs.traffic)
        let window = inputs.traffic.window
        // Only whole intervals are a sample of their slot: one cut short by a --from/--to off the grid is not.
        let samples = traffic.intervals.filter { Double($0.endMillis - $0.startMillis) == window.interval.seconds * 1000 }.map { figures in
            let parts = window.slotParts(figures.startMillis)
            return DayPlan.Sample(key: PlanSlotKey(weekday: inputs.byWeekday ? parts.weekday : nil, minuteOfDay: parts.minuteOfDay), figures: figures)
        }
        let slots: [PlanSlot]
        do { slots = try DayPlan.build(samples, settings: inputs.settings) } catch { throw ConfigurationError(error.description) }
        return DayPlanReport(inputs: inputs, traffic: traffic, slots: slots)
    }

    func weekdayName(_ slot: PlanSlot) -> String? { slot.key.weekday.map { Self.weekdayNames[$0 - 1] } }
    func startText(_ slot: PlanSlot) -> String { "\(pad(slot.key.minuteOfDay / 60)):\(pad(slot.key.minuteOfDay % 60))" }

    func serviceLevel(_ slot: PlanSlot) -> Double? { inputs.target.map { slot.staffing.queue.serviceLevel(withinSeconds: $0) } }

    var peak: PlanSlot? { slots.max { ($0.staffing.scheduledAgents, $0.trafficErlangs) < ($1.staffing.scheduledAgents, $1.trafficErlangs) } }

    var json: JSON {
        let rows: [JSON] = slots.map { slot in
            var row = JSONObject()
            row["weekday"] = weekdayName(slot).map { .string($0) } ?? .null
            row["start"] = .string(startText(slot))
            row["offeredCalls"] = .double(slot.offeredCalls)
            row["ahtSeconds"] = .double(slot.ahtSeconds)
            row["trafficErlangs"] = .double(slot.trafficErlangs)
            row["agents"] = .int(slot.staffing.agents)
            row["scheduledAgents"] = .int(slot.staffing.scheduledAgents)
            row["serviceLevel"] = .double(serviceLevel(slot))
            row["waitProbability"] = .double(slot.staffing.queue.waitProbability)
            row["asaSeconds"] = .double(slot.staffing.queue.averageSpeedOfAnswerSeconds)
            row["occupancy"] = .double(slot.staffing.queue.occupancy)
            row["samples"] = .int(slot.occurrences)
            return .object(row)
        }
        let hours = inputs.settings.intervalSeconds / 3_600
        var totals = JSONObject()
        totals["tenant"] = .string(inputs.traffic.store.tenantId)
        totals["from"] = .string(inputs.traffic.window.isoLabel(inputs.traffic.window.fromMillis))
        totals["to"] = .string(inputs.traffic.window.isoLabel(inputs.traffic.window.toMillis))
        totals["timezone"] = .string(inputs.traffic.window.zoneName)
        totals["by"] = .string(inputs.byWeekday ? "weekday" : "day")
        totals["interval"] = .string(inputs.traffic.window.interval.name)
        totals["sampleDays"] = .int(inputs.traffic.window.dayCount)
        totals["slots"] = .int(slots.count)
        totals["offeredCalls"] = .int(traffic.totals.offeredCalls)
        totals["answeredCalls"] = .int(traffic.totals.answeredCalls)
        totals["ahtSeconds"] = .double(inputs.settings.ahtSeconds ?? traffic.totals.ahtSeconds)
        totals["growth"] = .double(inputs.settings.growth)
        totals["peakAgents"] = .int(slots.map(\.staffing.agents).max() ?? 0)
        totals["peakScheduledAgents"] = .int(slots.map(\.staffing.scheduledAgents).max() ?? 0)
        totals["peakSlot"] = peak.map { slot -> JSON in
            ["weekday": weekdayName(slot).map { .string($0) } ?? .null, "start": .string(startText(slot))]
        } ?? .null
        totals["agentHours"] = .double(Double(slots.reduce(0) { $0 + $1.staffing.agents }) * hours)
        totals["scheduledAgentHours"] = .double(Double(slots.reduce(0) { $0 + $1.staffing.scheduledAgents }) * hours)
        totals["skipped"] = traffic.scan.skippedJSON
        return ["slots": .array(rows), "totals": .object(totals)]
    }

    var csv: String {
        var out = "weekday,start,offeredCalls,ahtSeconds,trafficErlangs,agents,scheduledAgents,serviceLevel,asaSeconds,occupancy\n"
        for slot in slots {
            out += [weekdayName(slot) ?? "", startText(slot), String(slot.offeredCalls), slot.ahtSeconds.map { String($0) } ?? "",
                    String(slot.trafficErlangs), String(slot.staffing.agents), String(slot.staffing.scheduledAgents),
                    serviceLevel(slot).map { String($0) } ?? "", slot.staffing.queue.averageSpeedOfAnswerSeconds.map { String($0) } ?? "",
                    slot.staffing.queue.occupancy.map { String($0) } ?? ""].joined(separator: ",") + "\n"
        }
        return out
    }

    var goalText: String {
        switch inputs.settings.goal {
        case .serviceLevel(let fraction, let seconds): "\(Format.percent(fraction)) answered within \(Format.seconds(seconds))"
        case .maximumAverageSpeedOfAnswer(let seconds): "ASA at most \(Format.seconds(seconds))"
        case .maximumWaitProbability(let probability): "at most \(Format.percent(probability)) wait"
        }
    }

    var text: String {
        let settings = inputs.settings
        let window = inputs.traffic.window
        var lines = [
            "plan for tenant \(inputs.traffic.store.tenantId)\(inputs.traffic.tenantName.isEmpty ? "" : " (\(inputs.traffic.tenantName))"): "
                + "inbound calls \(window.periodText), \(window.dayCount) days, by \(inputs.byWeekday ? "weekday" : "day"), \(window.interval.noun) slots",
            "goal: \(goalText); AHT \(settings.ahtSeconds.map { Format.seconds($0) + " (given)" } ?? "measured per slot")"
                + "; occupancy cap \(settings.maximumOccupancy.map { Format.percent($0) } ?? "none"); shrinkage \(Format.percent(settings.shrinkage))"
                + "; growth \(Format.number(settings.growth))",
        ]
        var table = TextTable(inputs.byWeekday ? ["weekday", "start", "calls", "AHT s", "Erlangs", "agents", "scheduled", "service level"]
                                               : ["start", "calls", "AHT s", "Erlangs", "agents", "scheduled", "service level"])
        var omitted = 0
        for slot in slots {
            guard slot.offeredCalls > 0 else { omitted += 1; continue }
            var row = [startText(slot), Format.number(slot.offeredCalls, decimals: 2), slot.ahtSeconds.map { Format.number($0, decimals: 0) } ?? "–",
                       Format.number(slot.trafficErlangs, decimals: 2), String(slot.staffing.agents), String(slot.staffing.scheduledAgents),
                       serviceLevel(slot).map { Format.percent($0) } ?? "–"]
            if inputs.byWeekday { row.insert(weekdayName(slot) ?? "", at: 0) }
            table.add(row)
        }
        lines += table.lines
        if omitted > 0 { lines.append("(\(omitted) slots without calls need no agents and are not shown; --json and --csv list every slot)") }
        let hours = settings.intervalSeconds / 3_600
        let scheduledHours = Double(slots.reduce(0) { $0 + $1.staffing.scheduledAgents }) * hours
        lines.append("totals: \(traffic.totals.offeredCalls) inbound calls in the sample; peak \(slots.map(\.staffing.scheduledAgents).max() ?? 0) scheduled agents"
                     + (peak.map { " (\([weekdayName($0), startText($0)].compactMap { $0 }.joined(separator: " ")))" } ?? "")
                     + "; \(Format.number(scheduledHours, decimals: 1)) scheduled agent-hours per \(inputs.byWeekday ? "week" : "day")")
        return lines.joined(separator: "\n")
    }

    var chart: String {
        let window = inputs.traffic.window
        var chart = BarChart(
            title: "Agents to schedule per \(window.interval.noun) — \(inputs.traffic.tenantName.isEmpty ? inputs.traffic.store.tenantId : inputs.traffic.tenantName)",
            subtitle: "\(goalText); inbound calls \(window.periodText), by \(inputs.byWeekday ? "weekday" : "day")",
            yAxisLabel: "agents / Erlangs", xAxisLabel: "slot start (\(window.zoneName))",
            bars: slots.map { slot in
                BarChart.Bar(label: [weekdayName(slot).map { String($0.prefix(3)) }, startText(slot)].compactMap { $0 }.joined(separator: " "),
                             value: Double(slot.staffing.scheduledAgents))
            },
            barSeriesName: "scheduled agents")
        chart.line = slots.map(\.trafficErlangs)
        chart.lineSeriesName = "traffic (Erlangs)"
        if let peak, peak.staffing.scheduledAgents > 0, let index = slots.firstIndex(where: { $0.key == peak.key }) {
            chart.highlighted = index
            chart.highlightNote = "peak \([weekdayName(peak), startText(peak)].compactMap { $0 }.joined(separator: " ")): \(peak.staffing.scheduledAgents) agents"
        }
        return chart.svg
    }
}
