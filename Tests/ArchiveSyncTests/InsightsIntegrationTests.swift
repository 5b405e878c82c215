import ArchiveStore
import CurlHTTP
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

extension ArchiveFixture {
    /// The simulator's truth `insight` items (each insight as served now, sha256 of the body) and its clock.
    func insightTruth() throws -> (now: Timestamp, items: [JSON]) {
        let response = try CurlHTTPClient().perform(HTTPRequest(method: .get, url: sim.baseURL + "/__sim/truth", totalTimeoutSeconds: 30))
        let body = try JSON.parse(response.body)
        let now = try #require(body["now"]?.stringValue.flatMap(Timestamp.init(iso8601:)), "the truth says when it is")
        return (now, (body["items"]?.arrayValue ?? []).filter { $0["kind"] == "insight" })
    }

    /// The archived insights files per recording id, each with the revision its name carries (§4.4).
    func archivedInsights() -> [String: [(revision: Int, line: JSON)]] {
        var result: [String: [(revision: Int, line: JSON)]] = [:]
        for line in manifestLines where line["kind"] == "insights" {
            let file = DurableFiles.fileName(of: line["path"]?.stringValue ?? "")
            guard case .insights(let revision) = ItemFileName(file) else {
                Issue.record("an insights manifest line names \(file.debugDescription), not an insights file name")
                continue
            }
            result[line["recordingId"]?.stringValue ?? "", default: []].append((revision, line))
        }
        return result.mapValues { $0.sorted { $0.revision < $1.revision } }
    }

    /// The engine measures call ages (the insights' 7-day bound) and retry times by its clock: set to
    /// the simulator's, whose world is fixed at its start time (clock speed 0) whatever the date.
    func syncOnSimulatorClock(_ extra: [String] = []) async throws -> RinglogResult {
        let offset = try insightTruth().now.secondsSinceEpoch - Timestamp.now().secondsSinceEpoch
        return try await sync(extra, environment: ["RINGLOG_TEST_CLOCK_OFFSET_SECONDS": String(offset)])
    }

    /// Each truth insight whose recording is archived (and, when `startedFrom` is given, whose call
    /// started from then on) is archived with the truth's sha256 as its latest revision, on disk too.
    /// Returns how many were checked.
    @discardableResult
    func expectInsightsMatchTruth(startedFrom: Timestamp? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let recordings = Dictionary(manifestLines.filter { $0["kind"] == "recording" }.map { ($0["recordingId"]?.stringValue ?? "", $0) },
                                    uniquingKeysWith: { first, _ in first })
        let archived = archivedInsights()
        var checked = 0
        for item in try insightTruth().items {
            let recordingId = item["recordingId"]?.stringValue ?? ""
            guard let recording = recordings[recordingId] else { continue }
            if let startedFrom, let start = recording["startTime"]?.stringValue.flatMap(Timestamp.init(iso8601:)), start < startedFrom { continue }
            let revisions = archived[recordingId] ?? []
            #expect(!revisions.isEmpty, "recording \(recordingId): its insights (truth revision \(item["revision"] ?? .null)) are not archived",
                    sourceLocation: sourceLocation)
            guard let latest = revisions.last, let path = latest.line["path"]?.stringValue else { continue }
            #expect(latest.line["sha256"] == item["sha256"], "\(path): the latest revision is the truth's", sourceLocation: sourceLocation)
            #expect(SHA256Hasher.hex(of: try DurableFiles.read(tenantDirectory + "/" + path)) == item["sha256"]?.stringValue,
                    "\(path) on disk", sourceLocation: sourceLocation)
            #expect(Set(revisions.map(\.revision)) == Set(1...revisions.count), "\(recordingId): revisions 1…N, each once",
                    sourceLocation: sourceLocation)
            checked += 1
        }
        return checked
    }
}

/// The real binaries against the simulator's RingSense insights endpoint (§6.9): verbatim, beside the
/// recording, each revision its own file, nothing written twice, and an unlicensed account one warning.
@Suite struct InsightsIntegrationTests {
    @Test func everyInsightOfAnArchivedRecordingIsArchivedAndARevisionIsANewFile() async throws {
        let sim = try await LiveSimulator.start()
        let archive = try await ArchiveFixture.create(sim)
        let first = try await archive.syncOnSimulatorClock()
        #expect(first.status == 0, "\(first.standardError)")
        let firstChecked = try archive.expectInsightsMatchTruth()
        #expect(firstChecked > 0, "the simulator serves insights for a share of the recordings")
        let firstCounts = try archive.report(first)["counts"]
        #expect((firstCounts?["insights"]?.int ?? 0) == firstChecked, "counted: \(firstCounts ?? .null)")
        let before = try archive.insightTruth()
        let revisionsBefore = Dictionary(before.items.map { ($0["recordingId"]?.stringValue ?? "", $0["revision"]?.int ?? 0) },
                                         uniquingKeysWith: max)

        // A day on: RingSense revised some insights (and made new ones). The reconcile window reaches back
        // two days before the previous sync, so every call of those two days is asked about again.
        sim.advance(seconds: 86_400)
        let second = try await archive.syncOnSimulatorClock(["--reconcile-hours", "48"])
        #expect(second.status == 0, "\(second.standardError)")
        try archive.expectInsightsMatchTruth(startedFrom: before.now.adding(seconds: -48 * 3600))
        let revised = try archive.insightTruth().items.filter { item in
            (item["revision"]?.int ?? 0) > (revisionsBefore[item["recordingId"]?.stringValue ?? ""] ?? Int.max)
        }
        #expect(!revised.isEmpty, "the simulator revised an insight within the day")
        let archived = archive.archivedInsights()
        for item in revised {
            let recordingId = item["recordingId"]?.stringValue ?? ""
            let revisions = archived[recordingId] ?? []
            // The first revision stays as it was; the revised body is a file of its own.
            #expect(revisions.count == 2 && revisions.last?.line["sha256"] == item["sha256"]
                        && revisions.last?.line["path"]?.stringValue?.hasSuffix(".insights.r2.json") == true,
                    "recording \(recordingId): \(revisions.map { $0.line["path"] ?? .null })")
        }
        let counts = try archive.report(second)["counts"]
        #expect((counts?["insightsRevised"]?.int ?? 0) == revised.count, "counted: \(counts ?? .null)")

        // Nothing new: nothing written.
        let lines = archive.manifestLineSet
        let files = Set(archive.snapshot().keys.filter { $0.contains(".insights.") })
        let third = try await archive.syncOnSimulatorClock(["--reconcile-hours", "48"])
        #expect(third.status == 0, "\(third.standardError)")
        #expect(archive.manifestLineSet == lines, "a run with nothing new appends no manifest line")
        #expect(Set(archive.snapshot().keys.filter { $0.contains(".insights.") }) == files, "no insights file is added")
        let again = try archive.report(third)["counts"]
        #expect(again?["insights"]?.int == 0 && again?["insightsRevised"]?.int == 0, "\(again ?? .null)")
    }

    @Test func anUnlicensedAccountIsOneWarningAndNoItemError() async throws {
        let sim = try await LiveSimulator.start { $0.extraArguments = ["--ringsense", "unlicensed"] }
        let archive = try await ArchiveFixture.create(sim)
        let result = try await archive.sync()
        #expect(result.status == 0, "\(result.standardError)")
        let run = try archive.lastRunLine()
        let warnings = run["warnings"]?.arrayValue ?? []
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.stringValue?.contains("RingSense insights not available") == true, "\(warnings)")
        #expect(run["counts"]?["itemErrors"]?.int == 0, "\(run["counts"] ?? .null) \(run["errors"] ?? .null)")
        #expect(run["status"] == "success")
        #expect(archive.archivedInsights().isEmpty)
        #expect(archive.manifestLines.contains { $0["kind"] == "recording" }, "the recordings are archived all the same")
    }
}
