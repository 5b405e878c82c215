import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing
@testable import ringlog
@testable import Traffic

/// An archive written through ArchiveStore's writer, with call records whose figures are known exactly.
struct HandBuiltArchive {
    let scratch = ScratchDirectory()
    var root: String { scratch.path + "/archive" }
    let tenantId: String

    init() throws {
        let archive = try ArchiveRoot.initialize(scratch.path + "/archive")
        tenantId = try archive.addTenant(name: "Hand Built", server: "https://platform.example", since: nil).tenantId
    }

    struct Call {
        var id: String
        var folder = "101"
        var start: String
        var duration: Int?
        var result = "Accepted"
        var direction = "Inbound"
        var session: String?
    }

    func write(_ calls: [Call]) throws {
        let store = try ArchiveRoot.open(root).store(for: tenantId)
        let writer = try store.openWriter()
        defer { writer.close() }
        for call in calls {
            let start = try #require(Timestamp(iso8601: call.start))
            var record: JSONObject = ["id": .string(call.id), "startTime": .string(call.start), "direction": .string(call.direction),
                                      "result": .string(call.result), "type": "Voice"]
            if let duration = call.duration { record["duration"] = .int(duration) }
            if let session = call.session { record["telephonySessionId"] = .string(session) }
            let sidecar = Sidecar(kind: .call, record: .object(record), item: ["callId": .string(call.id), "extensionFolder": .string(call.folder)],
                                  startTime: start, archivedAt: Timestamp.now())
            let path = call.folder + "/" + ArchiveNames.dayFolder(start) + "/" + (try ArchiveNames.callSidecarFile(start: start, callId: call.id))
            try writer.saveSidecar(sidecar, at: path, changed: true)
        }
    }

    /// A file that is not a sidecar at all, where a sidecar would be.
    func writeGarbage(at relative: String) throws {
        let path = root + "/" + tenantId + "/" + relative
        try DurableFiles.createDirectories(DurableFiles.parentDirectory(of: path))
        try DurableFiles.writeAtomically(path, Array("{\"format\": \"ringlog-call\", \"record\": {".utf8))
    }

    func report(from: String = "2026-11-10", to: String = "2026-11-10", interval: String = "30m", direction: String = "all",
                extensions: [String] = [], timeZone: String = "UTC") throws -> TrafficReport {
        try TrafficReport.make(TrafficInputs(root: root, tenant: tenantId, from: from, to: to, interval: interval, direction: direction,
                                             extensions: extensions, timeZone: timeZone, allowDays: true))
    }
}

@Suite struct ArchiveReportTests {
    /// 2026-11-10, half hours, UTC. Every figure below follows from the calls by hand.
    static let calls: [HandBuiltArchive.Call] = [
        // 09:20–09:40: 600 s in the 09:00 interval, 600 s in the 09:30 interval.
        .init(id: "CallA", start: "2026-11-10T09:20:00.000Z", duration: 1_200),
        // A transfer: two legs of one session in two extensions, both answered, 300 s and 900 s.
        .init(id: "LegB1", start: "2026-11-10T09:35:00.000Z", duration: 300, session: "s-transfer"),
        .init(id: "LegB2", folder: "102", start: "2026-11-10T09:40:00.000Z", duration: 900, session: "s-transfer"),
        // Unanswered: offered, not carried.
        .init(id: "MissedC", folder: "_account", start: "2026-11-10T09:45:00.000Z", duration: 30, result: "Missed"),
        // Outbound, connected: 600 s in the 10:00 interval.
        .init(id: "OutD", folder: "102", start: "2026-11-10T10:10:00.000Z", duration: 600, result: "Call connected", direction: "Outbound"),
        // No duration: skipped, by reason.
        .init(id: "NoDurationE", start: "2026-11-10T09:50:00.000Z", duration: nil),
        // The evening before, 23:50 for 20 minutes: 600 s into the first interval, not offered in it.
        .init(id: "LateF", start: "2026-11-09T23:50:00.000Z", duration: 1_200),
    ]

    func archive() throws -> HandBuiltArchive {
        let archive = try HandBuiltArchive()
        try archive.write(Self.calls)
        try archive.writeGarbage(at: "101/2026-11-10/20261110T095500Z_call.broken.0.json")
        return archive
    }

    @Test func perIntervalFiguresAreExact() throws {
        let archive = try archive()
        let report = try archive.report()
        let intervals = report.intervals
        #expect(intervals.count == 48)
        #expect(intervals[0].offeredCalls == 0 && intervals[0].carriedErlangs == 600.0 / 1_800)
        #expect(intervals[18].offeredCalls == 1 && intervals[18].answeredCalls == 1 && intervals[18].carriedErlangs == 600.0 / 1_800)
        #expect(intervals[18].ahtSeconds == 1_200)
        // 09:30: the transfer (one call) and the missed call; carried 600 + 300 + 900 s.
        #expect(intervals[19].offeredCalls == 2 && intervals[19].answeredCalls == 1 && intervals[19].carriedErlangs == 1)
        #expect(intervals[19].ahtSeconds == 1_200 && intervals[19].offeredErlangs == 2 * 1_200.0 / 1_800)
        #expect(intervals[20].offeredCalls == 1 && intervals[20].carriedErlangs == 600.0 / 1_800)
        let others = intervals.indices.filter { ![0, 18, 19, 20].contains($0) }
        #expect(others.allSatisfy { intervals[$0].offeredCalls == 0 && intervals[$0].carriedMillis == 0 })
        let totals = report.totals
        #expect(totals.offeredCalls == 4 && totals.answeredCalls == 3 && totals.callHours == 1 && totals.busyInterval == 19)
        #expect(report.scan.skipped == [.noDuration: 1, .unreadable: 1])
        #expect(report.skippedLines.contains { $0.contains("without a usable duration") && $0.contains("101/2026-11-10/") })
    }

    /// Review of issue 13: layout-spec §6.4, a reader MUST check `layoutVersion` (exactly 1) before
    /// using anything else; a sidecar of another layout version is not read as if it were version 1.
    @Test func aSidecarOfAnotherLayoutVersionIsSkippedNotRead() throws {
        let archive = try HandBuiltArchive()
        try archive.write([.init(id: "Kept", start: "2026-11-10T09:20:00.000Z", duration: 600),
                           .init(id: "Future", start: "2026-11-10T10:20:00.000Z", duration: 600)])
        let day = archive.root + "/" + archive.tenantId + "/101/2026-11-10"
        let name = try #require(DurableFiles.list(day).first { $0.contains("future") })
        let text = String(decoding: try DurableFiles.read(day + "/" + name), as: UTF8.self)
        #expect(text.contains("\"layoutVersion\": 1"))
        try DurableFiles.writeAtomically(day + "/" + name, Array(text.replacingOccurrences(of: "\"layoutVersion\": 1", with: "\"layoutVersion\": 2").utf8),
                                         onlyIfChanged: false)
        let report = try archive.report()
        #expect(report.totals.offeredCalls == 1 && report.scan.skipped == [.unreadable: 1])
    }

    /// Review of issue 13: the plural was an "s" glued to the end of the phrase ("4 sidecar could not
    /// be read or parseds", "3 record without a usable startTimes").
    @Test func skippedRecordsAreCountedInPlainEnglish() {
        var scan = ArchiveTrafficScan(tally: TrafficTally(boundaries: [0, 1]))
        scan.skipped = [.unreadable: 4, .noStartTime: 3, .noDuration: 1]
        scan.skippedExamples = [.unreadable: ["101/2026-11-10/a.json"], .noStartTime: ["101/2026-11-10/b.json"], .noDuration: ["101/2026-11-10/c.json"]]
        #expect(scan.skippedLines == ["skipped 4 sidecars that could not be read or parsed: 101/2026-11-10/a.json, …",
                                      "skipped 3 records without a usable startTime: 101/2026-11-10/b.json, …",
                                      "skipped 1 record without a usable duration: 101/2026-11-10/c.json"])
    }

    @Test func directionAndExtensionFiltersSelectRecords() throws {
        let archive = try archive()
        let inbound = try archive.report(direction: "inbound").intervals
        #expect(inbound[20].offeredCalls == 0 && inbound[19].offeredCalls == 2)
        let outbound = try archive.report(direction: "outbound").intervals
        #expect(outbound.reduce(0) { $0 + $1.offeredCalls } == 1 && outbound[20].carriedErlangs == 600.0 / 1_800)
        let only102 = try archive.report(extensions: ["102"]).intervals
        #expect(only102[19].offeredCalls == 1 && only102[19].carriedErlangs == 0.5 && only102[18].offeredCalls == 0)
        #expect(throws: ConfigurationError.self) { try archive.report(extensions: ["../etc"]) }
    }

    @Test func theJSONHasTheIssuesKeysAndNullsWhereThereIsNoAHT() throws {
        let archive = try archive()
        let json = try archive.report().json
        let intervals = try #require(json["intervals"]?.arrayValue)
        #expect(intervals.count == 48)
        let keys = intervals[19].objectValue?.members.map(\.key)
        #expect(keys == ["start", "offeredCalls", "answeredCalls", "carriedErlangs", "offeredErlangs", "ahtSeconds"])
        #expect(intervals[19]["start"] == "2026-11-10T09:30:00+00:00")
        #expect(intervals[19]["carriedErlangs"]?.doubleValue == 1 && intervals[19]["offeredErlangs"]?.doubleValue == 2 * 1_200.0 / 1_800)
        #expect(intervals[5]["ahtSeconds"] == .null && intervals[5]["offeredErlangs"]?.doubleValue == 0)
        let totals = try #require(json["totals"])
        for key in ["calls", "answered", "callHours", "meanCarriedErlangs", "peakCarriedErlangs", "busyInterval", "skipped"] {
            #expect(totals[key] != nil, "totals.\(key)")
        }
        #expect(totals["calls"]?.int64Value == 4 && totals["answered"]?.int64Value == 3 && totals["callHours"]?.doubleValue == 1)
        #expect(totals["busyInterval"]?["start"] == "2026-11-10T09:30:00+00:00")
        #expect(totals["skipped"]?["noDuration"]?.int64Value == 1 && totals["skipped"]?["unreadableSidecar"]?.int64Value == 1)
        // Full double precision: 1/3 is printed with every digit.
        #expect(json.serialized().contains("0.3333333333333333"))
        for bad in [":nan", ":inf", ":-inf"] { #expect(!json.serialized().contains(bad)) }
        let csv = try archive.report().csv.split(separator: "\n")
        #expect(csv.first == "start,offeredCalls,answeredCalls,carriedErlangs,offeredErlangs,ahtSeconds" && csv.count == 49)
        #expect(csv[20] == "2026-11-10T09:30:00+00:00,2,1,1.0,1.3333333333333333,1200.0")
    }

    @Test func aDateOrAnInstantBoundsThePeriod() throws {
        let archive = try archive()
        // An instant off the interval grid: the first interval is cut to it.
        let report = try archive.report(from: "2026-11-10T09:40:00Z", to: "2026-11-10T10:00:00Z")
        #expect(report.intervals.map(\.startMillis).count == 1 && report.intervals[0].lengthSeconds == 1_200)
        // 09:40–10:00 holds A's last 0 s? No: A ends 09:40. B1 to 09:40, B2 09:40–09:55 (900 s), C missed.
        #expect(report.intervals[0].carriedMillis == 900_000 && report.intervals[0].offeredCalls == 2)
        // Local time without an offset is read in --timezone.
        let berlin = try archive.report(from: "2026-11-10T10:00", to: "2026-11-10T11:00", timeZone: "Europe/Berlin")
        #expect(berlin.intervals.count == 2 && berlin.json["intervals"]?[0]?["start"] == "2026-11-10T10:00:00+01:00")
        #expect(berlin.intervals[0].carriedMillis == 600_000)  // 09:00–09:30 UTC
        #expect(throws: ConfigurationError.self) { try archive.report(from: "2026-11-10", to: "2026-11-09") }
        #expect(throws: ConfigurationError.self) { try archive.report(from: "10/11/2026") }
        #expect(throws: ConfigurationError.self) { try archive.report(interval: "20m") }
    }

    @Test func anUnknownTimeZoneIsAnErrorNamingTheFlag() throws {
        let archive = try archive()
        #expect { try archive.report(timeZone: "Mars/Olympus_Mons") } throws: { error in
            "\(error)".contains("--timezone") && "\(error)".contains("Mars/Olympus_Mons")
        }
    }
}

/// Days that gain or lose an hour, in two zones with different rules (2026: New York springs forward
/// on 8 March and falls back on 1 November; Berlin on 29 March and 25 October).
@Suite struct DaylightSavingTests {
    @Test(arguments: [("America/New_York", "2026-03-08", 23), ("America/New_York", "2026-11-01", 25), ("America/New_York", "2026-11-02", 24),
                      ("Europe/Berlin", "2026-03-29", 23), ("Europe/Berlin", "2026-10-25", 25), ("Europe/Berlin", "2026-10-26", 24)])
    func hourlyIntervalsOfADayFollowTheClock(zone: String, day: String, hours: Int) throws {
        let window = try ReportWindow(from: day, to: day, interval: "1h", timeZone: zone, allowDays: true)
        #expect(window.boundaries.count - 1 == hours, "\(zone) \(day)")
        #expect(window.boundaries.last! - window.boundaries.first! == Int64(hours) * 3_600_000)
        #expect(zip(window.boundaries, window.boundaries.dropFirst()).allSatisfy { $1 - $0 == 3_600_000 })
        let daily = try ReportWindow(from: day, to: day, interval: "1d", timeZone: zone, allowDays: true)
        #expect(daily.boundaries.count == 2 && daily.boundaries[1] - daily.boundaries[0] == Int64(hours) * 3_600_000)
        let halfHours = try ReportWindow(from: day, to: day, interval: "30m", timeZone: zone, allowDays: true)
        #expect(halfHours.boundaries.count - 1 == 2 * hours)
    }

    /// Review of issue 13: Lord Howe Island shifts by 30 minutes (2026-10-04 02:00 → 02:30, 2026-04-05
    /// 02:00 → 01:30). Hourly intervals stepped in absolute time from midnight started at hh:30 for the
    /// rest of the day (and gave `plan` stray 02:30, 03:30 … slots); they follow the clock's hours, the
    /// hour that holds the shift being 1.5 hours long or its remainder. Half hours are unaffected.
    @Test func hourlyIntervalsStayOnTheHourAcrossAHalfHourShift() throws {
        for (day, hours, long) in [("2026-10-04", 23, 1), ("2026-04-05", 24, 1)] {
            let window = try ReportWindow(from: day, to: day, interval: "1h", timeZone: "Australia/Lord_Howe", allowDays: true)
            let starts = window.boundaries.dropLast().map { window.isoLabel($0) }
            #expect(starts.allSatisfy { $0.dropFirst(14).hasPrefix("00:00") }, "\(day): \(starts)")
            #expect(window.boundaries.count - 1 == hours, "\(day)")
            let lengths = zip(window.boundaries, window.boundaries.dropFirst()).map { $1 - $0 }
            #expect(lengths.filter { $0 != 3_600_000 } == Array(repeating: 5_400_000, count: long), "\(day): \(lengths)")
            let halfHours = try ReportWindow(from: day, to: day, interval: "30m", timeZone: "Australia/Lord_Howe", allowDays: true)
            #expect(zip(halfHours.boundaries, halfHours.boundaries.dropFirst()).allSatisfy { $1 - $0 == 1_800_000 })
            #expect(halfHours.boundaries.dropLast().allSatisfy { halfHours.slotParts($0).minuteOfDay % 30 == 0 })
        }
    }

    @Test func labelsCarryTheOffsetInForceAndTheRepeatedHourIsTwoIntervals() throws {
        let spring = try ReportWindow(from: "2026-03-08", to: "2026-03-08", interval: "1h", timeZone: "America/New_York", allowDays: true)
        #expect(spring.isoLabel(spring.boundaries[1]) == "2026-03-08T01:00:00-05:00")
        #expect(spring.isoLabel(spring.boundaries[2]) == "2026-03-08T03:00:00-04:00")
        let autumn = try ReportWindow(from: "2026-10-25", to: "2026-10-25", interval: "1h", timeZone: "Europe/Berlin", allowDays: true)
        #expect(autumn.isoLabel(autumn.boundaries[2]) == "2026-10-25T02:00:00+02:00")
        #expect(autumn.isoLabel(autumn.boundaries[3]) == "2026-10-25T02:00:00+01:00")
        #expect(autumn.isoLabel(autumn.boundaries[0]) == "2026-10-25T00:00:00+02:00")

        // Calls at 01:30 EDT and 01:30 EST on 1 November land in the first and the second 01:00.
        let archive = try HandBuiltArchive()
        try archive.write([.init(id: "EarlyEDT", start: "2026-11-01T05:30:00.000Z", duration: 600),
                           .init(id: "LateEST", start: "2026-11-01T06:30:00.000Z", duration: 1_200)])
        let report = try archive.report(from: "2026-11-01", to: "2026-11-01", interval: "1h", timeZone: "America/New_York")
        let json = report.json["intervals"]!.arrayValue!
        #expect(json.count == 25)
        #expect(json[1]["start"] == "2026-11-01T01:00:00-04:00" && json[1]["offeredCalls"]?.int64Value == 1 && json[1]["carriedErlangs"]?.doubleValue == 600.0 / 3_600)
        #expect(json[2]["start"] == "2026-11-01T01:00:00-05:00" && json[2]["offeredCalls"]?.int64Value == 1 && json[2]["carriedErlangs"]?.doubleValue == 1_200.0 / 3_600)
        // The same calls by day: one 25-hour interval.
        let day = try archive.report(from: "2026-11-01", to: "2026-11-01", interval: "1d", timeZone: "America/New_York")
        #expect(day.intervals.count == 1 && day.intervals[0].carriedErlangs == 1_800.0 / (25 * 3_600))
    }
}

@Suite struct PlanReportTests {
    @Test func theDayPlanAveragesTheSampleAndStaffsEachSlot() throws {
        let archive = try HandBuiltArchive()
        // Two Tuesdays (10 and 17 November), 09:00 UTC half hour: 3 and 1 inbound answered calls of 600 s; one outbound ignored.
        try archive.write([
            .init(id: "T1a", start: "2026-11-10T09:01:00.000Z", duration: 600), .init(id: "T1b", start: "2026-11-10T09:05:00.000Z", duration: 600),
            .init(id: "T1c", start: "2026-11-10T09:10:00.000Z", duration: 600), .init(id: "T2a", start: "2026-11-17T09:02:00.000Z", duration: 600),
            .init(id: "Out", start: "2026-11-17T09:03:00.000Z", duration: 600, result: "Call connected", direction: "Outbound"),
        ])
        let inputs = try PlanInputs(root: archive.root, tenant: archive.tenantId, from: "2026-11-09", to: "2026-11-22", timezone: "UTC", interval: "30m",
                                    by: "weekday", serviceLevel: "80%", target: "20s", maxAsa: nil, aht: nil, maxOccupancy: nil, shrinkage: "30%",
                                    growth: nil, extensions: [])
        let plan = try DayPlanReport.make(inputs)
        #expect(plan.slots.count == 7 * 48)
        let tuesday = try #require(plan.slots.first { $0.key == PlanSlotKey(weekday: 2, minuteOfDay: 9 * 60) })
        #expect(tuesday.occurrences == 2 && tuesday.offeredCalls == 2 && tuesday.ahtSeconds == 600)
        let traffic = 2 * 600.0 / 1_800
        #expect(tuesday.trafficErlangs == traffic)
        let expected = try Staffing(trafficErlangs: traffic, averageHandleSeconds: 600, goal: .serviceLevel(fraction: 0.8, withinSeconds: 20), shrinkage: 0.3)
        #expect(tuesday.staffing == expected)
        let json = plan.json
        let slots = try #require(json["slots"]?.arrayValue)
        let row = try #require(slots.first { $0["weekday"] == "Tuesday" && $0["start"] == "09:00" })
        for key in ["weekday", "start", "offeredCalls", "ahtSeconds", "trafficErlangs", "agents", "scheduledAgents", "serviceLevel"] {
            #expect(row[key] != nil, "slot key \(key)")
        }
        #expect(row["agents"]?.int64Value == Int64(expected.agents) && row["scheduledAgents"]?.int64Value == Int64(expected.scheduledAgents))
        #expect(row["serviceLevel"]?.doubleValue == expected.queue.serviceLevel(withinSeconds: 20))
        #expect(json["totals"]?["peakScheduledAgents"]?.int64Value == Int64(expected.scheduledAgents))
        #expect(json["totals"]?["peakSlot"]?["weekday"] == "Tuesday" && json["totals"]?["sampleDays"]?.int64Value == 14)
        // An empty slot needs nobody.
        let quiet = try #require(slots.first { $0["weekday"] == "Sunday" && $0["start"] == "03:30" })
        #expect(quiet["agents"]?.int64Value == 0 && quiet["offeredCalls"]?.doubleValue == 0)

        // By day: the mean over 14 days of the 09:00 half hour is 4/14 calls.
        let byDay = try DayPlanReport.make(try PlanInputs(root: archive.root, tenant: archive.tenantId, from: "2026-11-09", to: "2026-11-22",
                                                          timezone: "UTC", interval: "30m", by: "day", serviceLevel: nil, target: nil, maxAsa: "30s",
                                                          aht: "5m", maxOccupancy: "85%", shrinkage: nil, growth: "1.5", extensions: []))
        let nine = try #require(byDay.slots.first { $0.key == PlanSlotKey(weekday: nil, minuteOfDay: 9 * 60) })
        #expect(nine.occurrences == 14 && abs(nine.offeredCalls - 4.0 / 14 * 1.5) < 1e-15 && nine.ahtSeconds == 300)
        #expect(byDay.json["slots"]?[0]?["weekday"] == .null && byDay.json["slots"]?[0]?["serviceLevel"] == .null)
    }

    @Test func planRefusesWhatItCannotPlan() throws {
        let archive = try HandBuiltArchive()
        func inputs(interval: String = "30m", by: String = "weekday", serviceLevel: String? = "80%", target: String? = "20s",
                    maxAsa: String? = nil) throws -> PlanInputs {
            try PlanInputs(root: archive.root, tenant: archive.tenantId, from: "2026-11-09", to: "2026-11-22", timezone: "UTC", interval: interval,
                           by: by, serviceLevel: serviceLevel, target: target, maxAsa: maxAsa, aht: nil, maxOccupancy: nil, shrinkage: nil,
                           growth: nil, extensions: [])
        }
        #expect(throws: ConfigurationError.self) { try inputs(interval: "1d") }
        #expect(throws: ConfigurationError.self) { try inputs(by: "month") }
        #expect(throws: ConfigurationError.self) { try inputs(serviceLevel: nil, target: nil) }
        #expect(throws: ConfigurationError.self) { try inputs(maxAsa: "30s") }
        #expect(throws: ConfigurationError.self) { try inputs(target: nil) }
        // Unanswered calls only, no --aht: nothing to measure the AHT from.
        try archive.write([.init(id: "M1", start: "2026-11-10T09:01:00.000Z", duration: 20, result: "Missed")])
        #expect { try DayPlanReport.make(try inputs()) } throws: { "\($0)".contains("--aht") }
    }
}
