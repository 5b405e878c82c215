import ArchiveStore
import ArgumentParser
import Foundation
import RinglogSupport
import Traffic

struct TrafficReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Traffic carried and offered per interval, from the archived call log.",
        discussion: """
            Reads the tenant's call sidecars once (no network, no lease: safe beside a running
            sync) and reports, per interval of --from … --to aligned to --timezone:
              offeredCalls    calls starting in the interval, any result; the legs of a transfer
                              (one telephonySessionId) are one call
              answeredCalls   of those, answered (result Accepted or Call connected)
              carriedErlangs  the answered calls' talk time inside the interval ÷ its length (a
                              call crossing a boundary counts in both intervals, each its share)
              offeredErlangs  offeredCalls × ahtSeconds ÷ the interval's length
              ahtSeconds      mean duration of the interval's answered calls (null when none)
            and totals: calls and answered calls of the period (each call once, even a transfer
            whose legs start in two intervals), call-hours, mean and peak carried Erlangs, the busy
            interval, and the records skipped by reason (unreadable sidecar, no startTime, no
            duration). Times are UTC unless --timezone names an IANA zone; a day that gains or
            loses an hour has 25 or 23 hourly intervals. A date given to --to includes that day.

            Examples:
              ringlog traffic --root /srv/archive --tenant 3f9c2a71d04e8b16 \\
                  --from 2026-11-01 --to 2026-11-30 --interval 30m --timezone America/New_York
              ringlog traffic --tenant 3f9c2a71d04e8b16 --from 2026-11-02 --to 2026-11-02 \\
                  --direction inbound --extension 101 --extension 102 --chart busy-day.svg
              ringlog traffic --tenant 3f9c2a71d04e8b16 --from 2026-10-01 --to 2026-12-31 \\
                  --interval 1d --csv > daily.csv
            """)

    @OptionGroup var root: RootOption
    @OptionGroup var report: ReportOptions
    @Option(help: ArgumentHelp("Interval: 15m, 30m, 1h or 1d.", valueName: "interval")) var interval = "1h"
    @Option(help: ArgumentHelp("inbound, outbound or all.", valueName: "direction")) var direction = "all"
    @Option(help: ArgumentHelp("Only these extension folders: a number, id-<extensionId> or _account (repeatable).", valueName: "folder"))
    var `extension`: [String] = []
    @OptionGroup var output: ReportOutputOptions

    func run() throws {
        let inputs = try withConfigurationErrors("traffic") { () throws -> TrafficInputs in
            try TrafficInputs(root: root.path, tenant: report.tenant, from: report.from, to: report.to, interval: interval,
                              direction: direction, extensions: `extension`, timeZone: report.timezone, allowDays: true)
        }
        try output.check()
        let result = try withConfigurationErrors("traffic") { try TrafficReport.make(inputs) }
        for line in result.skippedLines { printError("ringlog traffic: " + line) }
        try output.emit(command: "traffic", text: result.text, csv: result.csv, json: result.json, chart: result.chart)
    }
}

/// `--tenant`, `--from`, `--to`, `--timezone`: shared by `traffic` and `plan`.
struct ReportOptions: ParsableArguments {
    @Option(help: "The tenant (may be left out when the archive has only one).") var tenant: String?
    @Option(help: ArgumentHelp("First day (YYYY-MM-DD) or instant (ISO 8601).", valueName: "date")) var from: String
    @Option(help: ArgumentHelp("Last day, included whole (YYYY-MM-DD), or an instant (excluded).", valueName: "date")) var to: String
    @Option(help: ArgumentHelp("IANA time zone the intervals align to (default UTC), e.g. Europe/Berlin.", valueName: "zone"))
    var timezone = "UTC"
}

/// `--json | --csv`, `--chart FILE.svg`.
struct ReportOutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Print CSV (one header line, then one line per row).") var csv = false
    @Option(help: ArgumentHelp("Also write a chart to this SVG file (written atomically).", valueName: "file.svg")) var chart: String?

    func check() throws {
        if json && csv {
            printError("ringlog: give --json or --csv, not both")
            throw ExitStatus.configuration
        }
    }

    func emit(command: String, text: String, csv csvText: String, json object: JSON, chart svg: String) throws {
        if let chart {
            try withConfigurationErrors(command) { () throws in
                do throws(ArchiveIOError) { try DurableFiles.writeAtomically(chart, Array(svg.utf8), onlyIfChanged: false) } catch {
                    throw ConfigurationError("--chart \(chart): cannot write it (\(ArchiveIOError.plainReason(error.code)))")
                }
            }
        }
        if json {
            print(object.serialized())
        } else if csv {
            print(csvText, terminator: "")
        } else {
            print(text)
            if let chart { print("chart written to \(chart)") }
        }
    }
}

enum TrafficDirection: String {
    case inbound, outbound, all

    func includes(_ recordDirection: String?) -> Bool {
        switch self {
        case .all: true
        case .inbound: recordDirection == "Inbound"
        case .outbound: recordDirection == "Outbound"
        }
    }
}

/// A traffic report's inputs, checked: each bad value is a `ConfigurationError` naming its flag.
struct TrafficInputs {
    let store: TenantStore
    let tenantName: String
    let window: ReportWindow
    let direction: TrafficDirection
    let extensions: Set<String>?

    init(root: String, tenant: String?, from: String, to: String, interval: String, direction: String, extensions: [String],
         timeZone: String, allowDays: Bool) throws {
        guard let parsedDirection = TrafficDirection(rawValue: direction) else {
            throw ConfigurationError("--direction must be inbound, outbound or all, not \(direction.debugDescription)")
        }
        for folder in extensions where !ArchiveReader.isExtensionFolder(folder) {
            throw ConfigurationError("--extension \(folder.debugDescription) is not an extension folder: give a number (101), id-<extensionId> or _account")
        }
        let window = try ReportWindow(from: from, to: to, interval: interval, timeZone: timeZone, allowDays: allowDays)
        let archive = try ArchiveRoot.open(root)
        let markers = try archive.tenants(selecting: tenant)
        guard markers.count == 1 else {
            throw ConfigurationError(markers.isEmpty ? "the archive has no active tenant"
                                     : "--tenant is required: the archive has \(markers.count) tenants (\(markers.map(\.tenantId).joined(separator: ", ")))")
        }
        store = archive.store(for: markers[0].tenantId)
        tenantName = markers[0].name
        self.window = window
        self.direction = parsedDirection
        self.extensions = extensions.isEmpty ? nil : Set(extensions)
    }
}

/// Reasons a call sidecar is left out of a report.
enum SkipReason: String, CaseIterable {
    case unreadable = "unreadableSidecar"
    case noStartTime
    case noDuration

    /// "4 unreadable sidecars (…)", "1 record without a usable startTime": the count and its noun.
    func explanation(count: Int) -> String {
        let plural = count == 1 ? "" : "s"
        switch self {
        case .unreadable: return "\(count) sidecar\(plural) that could not be read or parsed"
        case .noStartTime: return "\(count) record\(plural) without a usable startTime"
        case .noDuration: return "\(count) record\(plural) without a usable duration"
        }
    }
}

/// The one pass over the archive both reports make: every call sidecar of the period's UTC day
/// folders (one day before --from too, for calls that started before it and run into it), read
/// once, each reduced to a `CallObservation` and added to the tally as it is read.
struct ArchiveTrafficScan {
    var tally: TrafficTally
    var skipped: [SkipReason: Int] = [:]
    var skippedExamples: [SkipReason: [String]] = [:]
    var sidecarsRead = 0
    /// Day folders before this one are read only for calls running into the period: what cannot be
    /// read there is not the period's and is not counted as skipped.
    var firstReportDay = ""

    /// The only parts of a call sidecar the reports use; the rest is checked but not built.
    static let fields = JSONSelection.members([
        "format": .whole,
        "layoutVersion": .whole,
        "record": .members(["id": .whole, "telephonySessionId": .whole, "startTime": .whole, "duration": .whole, "direction": .whole,
                            "result": .whole]),
        "archive": .members(["item": .members(["callId": .whole])]),
    ])

    /// Calls that started up to this long before --from are looked at for the time they run into it.
    static let lookbackMillis: Int64 = 86_400_000

    static func run(_ inputs: TrafficInputs) throws -> ArchiveTrafficScan {
        var scan = ArchiveTrafficScan(tally: TrafficTally(boundaries: inputs.window.boundaries))
        let first = ArchiveNames.dayFolder(Timestamp(millisecondsSinceEpoch: inputs.window.fromMillis - lookbackMillis))
        let last = ArchiveNames.dayFolder(Timestamp(millisecondsSinceEpoch: inputs.window.toMillis - 1))
        scan.firstReportDay = ArchiveNames.dayFolder(Timestamp(millisecondsSinceEpoch: inputs.window.fromMillis))
        var currentDay = ""
        try inputs.store.reader.forEachFile(fromDay: first, throughDay: last, folders: inputs.extensions) { entry in
            guard entry.kind == .callSidecar else { return }
            if entry.day != currentDay {
                currentDay = entry.day
                // Records are filed by their UTC start day: once a day's folder is reached, nothing
                // earlier than the day before will come (one day of slack).
                if let dayStart = Timestamp(iso8601: entry.day) { scan.tally.forget(before: dayStart.millisecondsSinceEpoch - 86_400_000) }
            }
            scan.add(entry, inputs: inputs)
        }
        return scan
    }

    private mutating func add(_ entry: ArchiveReader.Entry, inputs: TrafficInputs) {
        let bytes: [UInt8]
        do {
            // A sidecar replaced by a concurrent sync is renamed over: either version reads whole.
            guard let read = try DurableFiles.readIfPresent(inputs.store.path(entry.relativePath)) else { return }
            bytes = read
        } catch {
            return skip(.unreadable, entry)
        }
        sidecarsRead += 1
        // layout-spec §6.4: format and layoutVersion (exactly 1) are checked before anything else is used.
        guard let json = try? JSON.parse(bytes, selecting: Self.fields), json["format"]?.stringValue == "ringlog-call",
            json["layoutVersion"]?.int64Value == 1, let record = json["record"],
            record.objectValue != nil
        else { return skip(.unreadable, entry) }
        guard inputs.direction.includes(record["direction"]?.stringValue) else { return }
        guard let start = record["startTime"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else { return skip(.noStartTime, entry) }
        guard let duration = record["duration"]?.doubleValue, duration.isFinite, duration >= 0, duration < 1e9 else {
            // Only a record that starts in the period is the period's to miss.
            if start.millisecondsSinceEpoch >= inputs.window.fromMillis && start.millisecondsSinceEpoch < inputs.window.toMillis {
                skip(.noDuration, entry)
            }
            return
        }
        guard let callId = record["id"]?.stringValue ?? json["archive"]?["item"]?["callId"]?.stringValue else {
            return skip(.unreadable, entry)
        }
        let observation = CallObservation(callId: callId, sessionKey: record["telephonySessionId"]?.stringValue,
                                          startMillis: start.millisecondsSinceEpoch, durationMillis: Int64((duration * 1000).rounded()),
                                          answered: CallObservation.isAnswered(result: record["result"]?.stringValue))
        guard observation.startMillis < inputs.window.toMillis,
            observation.startMillis + observation.durationMillis > inputs.window.fromMillis || observation.startMillis >= inputs.window.fromMillis
        else { return }
        tally.add(observation)
    }

    private mutating func skip(_ reason: SkipReason, _ entry: ArchiveReader.Entry) {
        guard reason == .noDuration || entry.day >= firstReportDay else { return }
        skipped[reason, default: 0] += 1
        if skippedExamples[reason, default: []].count < 5 { skippedExamples[reason, default: []].append(entry.relativePath) }
    }

    var skippedJSON: JSON {
        var object = JSONObject()
        for reason in SkipReason.allCases { if let count = skipped[reason] { object[reason.rawValue] = .int(count) } }
        return .object(object)
    }

    /// One stderr line per reason, naming up to five files.
    var skippedLines: [String] {
        SkipReason.allCases.compactMap { reason in
            guard let count = skipped[reason] else { return nil }
            let examples = skippedExamples[reason] ?? []
            return "skipped \(reason.explanation(count: count)): \(examples.joined(separator: ", "))\(count > examples.count ? ", …" : "")"
        }
    }
}

/// `ringlog traffic`'s result in its three forms and its chart.
struct TrafficReport {
    let inputs: TrafficInputs
    let scan: ArchiveTrafficScan

    static func make(_ inputs: TrafficInputs) throws -> TrafficReport {
        TrafficReport(inputs: inputs, scan: try ArchiveTrafficScan.run(inputs))
    }

    var intervals: [IntervalFigures] { scan.tally.intervals }
    var totals: TrafficTotals { scan.tally.totals }
    var skippedLines: [String] { scan.skippedLines }

    var json: JSON {
        let window = inputs.window
        let rows: [JSON] = intervals.map { interval in
            var row = JSONObject()
            row["start"] = .string(window.isoLabel(interval.startMillis))
            row["offeredCalls"] = .int(interval.offeredCalls)
            row["answeredCalls"] = .int(interval.answeredCalls)
            row["carriedErlangs"] = .double(interval.carriedErlangs)
            row["offeredErlangs"] = .double(interval.offeredErlangs)
            row["ahtSeconds"] = .double(interval.ahtSeconds)
            return .object(row)
        }
        let totals = totals
        var summary = JSONObject()
        summary["tenant"] = .string(inputs.store.tenantId)
        summary["from"] = .string(window.isoLabel(window.fromMillis))
        summary["to"] = .string(window.isoLabel(window.toMillis))
        summary["timezone"] = .string(window.zoneName)
        summary["interval"] = .string(window.interval.name)
        summary["direction"] = .string(inputs.direction.rawValue)
        summary["intervals"] = .int(intervals.count)
        summary["calls"] = .int(totals.offeredCalls)
        summary["answered"] = .int(totals.answeredCalls)
        summary["offeredCalls"] = .int(totals.offeredCalls)
        summary["answeredCalls"] = .int(totals.answeredCalls)
        summary["callHours"] = .double(totals.callHours)
        summary["ahtSeconds"] = .double(totals.ahtSeconds)
        summary["meanCarriedErlangs"] = .double(totals.meanCarriedErlangs)
        summary["peakCarriedErlangs"] = .double(totals.peakCarriedErlangs)
        summary["busyInterval"] = totals.busyInterval.map { index -> JSON in
            ["start": .string(window.isoLabel(intervals[index].startMillis)), "carriedErlangs": .double(intervals[index].carriedErlangs)]
        } ?? .null
        summary["skipped"] = scan.skippedJSON
        return ["intervals": .array(rows), "totals": .object(summary)]
    }

    var csv: String {
        var out = "start,offeredCalls,answeredCalls,carriedErlangs,offeredErlangs,ahtSeconds\n"
        for interval in intervals {
            out += [inputs.window.isoLabel(interval.startMillis), String(interval.offeredCalls), String(interval.answeredCalls),
                    String(interval.carriedErlangs), interval.offeredErlangs.map { String($0) } ?? "",
                    interval.ahtSeconds.map { String($0) } ?? ""].joined(separator: ",") + "\n"
        }
        return out
    }

    var text: String {
        let window = inputs.window
        let totals = totals
        var lines = ["tenant \(inputs.store.tenantId)\(inputs.tenantName.isEmpty ? "" : " (\(inputs.tenantName))"): \(inputs.direction == .all ? "all" : inputs.direction.rawValue) calls, "
                     + "\(window.periodText), \(window.interval.name) intervals"]
        var table = TextTable(["start", "offered", "answered", "carried E", "offered E", "AHT s"])
        for interval in intervals {
            table.add([window.isoLabel(interval.startMillis), String(interval.offeredCalls), String(interval.answeredCalls),
                       Format.number(interval.carriedErlangs), interval.offeredErlangs.map { Format.number($0) } ?? "–",
                       interval.ahtSeconds.map { Format.number($0, decimals: 1) } ?? "–"])
        }
        lines += table.lines
        var summary = "totals: \(totals.offeredCalls) calls, \(totals.answeredCalls) answered, \(Format.number(totals.callHours, decimals: 2)) call-hours; "
            + "carried \(Format.number(totals.meanCarriedErlangs)) Erlangs on average"
        if let busy = totals.busyInterval {
            summary += ", peak \(Format.number(totals.peakCarriedErlangs)) in the busy interval \(window.isoLabel(intervals[busy].startMillis))"
        }
        lines.append(summary)
        let skipped = SkipReason.allCases.compactMap { reason in scan.skipped[reason].map { reason.explanation(count: $0) } }
        lines.append("skipped: " + (skipped.isEmpty ? "none" : skipped.joined(separator: ", ")))
        return lines.joined(separator: "\n")
    }

    var chart: String {
        let window = inputs.window
        let totals = totals
        var chart = BarChart(
            title: "Carried traffic per \(window.interval.noun) — \(inputs.tenantName.isEmpty ? inputs.store.tenantId : inputs.tenantName)",
            subtitle: "\(inputs.direction == .all ? "all" : inputs.direction.rawValue) calls, \(window.periodText); \(totals.offeredCalls) calls, "
                + "\(Format.number(totals.callHours, decimals: 1)) call-hours, mean \(Format.number(totals.meanCarriedErlangs, decimals: 2)) E",
            yAxisLabel: "Erlangs", xAxisLabel: "interval start (\(window.zoneName))",
            bars: intervals.map { BarChart.Bar(label: window.shortLabel($0.startMillis), value: $0.carriedErlangs) },
            barSeriesName: "carried Erlangs")
        chart.line = intervals.map(\.offeredErlangs)
        chart.lineSeriesName = "offered Erlangs"
        if let busy = totals.busyInterval {
            chart.highlighted = busy
            chart.highlightNote = "busy interval \(window.shortLabel(intervals[busy].startMillis)): \(Format.number(totals.peakCarriedErlangs, decimals: 2)) E"
        }
        return chart.svg
    }
}

/// Left-aligned first column, right-aligned numbers.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    init(_ header: [String]) { self.header = header }
    mutating func add(_ row: [String]) { rows.append(row) }

    var lines: [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
    }
}
