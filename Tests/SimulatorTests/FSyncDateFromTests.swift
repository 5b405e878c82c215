import RinglogSupport
import Testing
@testable import RingSimulator

/// The 2025 spec limits call-log FSync `dateFrom` to the last 30 days; without it there is no limit.
@Suite struct FSyncDateFromTests {
    static let now = Timestamp(iso8601: "2026-11-20T23:00:00Z")!

    func fsync(_ driver: EngineDriver, daysBack: Double?) -> SimResponse {
        var query: [(name: String, value: String)] = [("syncType", "FSync"), ("recordCount", "250")]
        if let daysBack { query.append(("dateFrom", Self.now.adding(seconds: -86_400 * daysBack).iso8601)) }
        return driver.get(driver.accountPath + "/call-log-sync", query)
    }

    @Test func aDateFromOlderThan30DaysIsRefusedNamingTheParameter() throws {
        var driver = EngineDriver { $0.days = 40 }
        try driver.login()
        let refused = fsync(driver, daysBack: 31)
        #expect(refused.status == 400)
        let body = try JSON.parse(refused.body)
        #expect(body["errorCode"] == "CMN-101" && body["message"] == "Parameter [dateFrom] value is invalid")
        #expect(body["errors"]?[0]?["parameterName"] == "dateFrom"
                && body["errors"]?[0]?["parameterValue"]?.stringValue == Self.now.adding(seconds: -86_400 * 31).iso8601)
        #expect(fsync(driver, daysBack: 29).status == 200)
        let unlimited = fsync(driver, daysBack: nil)
        #expect(unlimited.status == 200, "without dateFrom there is no limit")
        let starts = try JSON.parse(unlimited.body)["records"]?.arrayValue?.compactMap { Timestamp(iso8601: $0["startTime"]?.stringValue ?? "") } ?? []
        #expect(starts.count == 250)
        // The list API is not limited.
        #expect(driver.get(driver.accountPath + "/call-log", [("dateFrom", Self.now.adding(seconds: -86_400 * 39).iso8601)]).status == 200)
    }

    @Test func theLimitIsConfigurableAndZeroLiftsIt() throws {
        var lifted = EngineDriver { $0.fsyncMaxDays = 0; $0.days = 40 }
        try lifted.login()
        #expect(fsync(lifted, daysBack: 39).status == 200)
        var strict = EngineDriver { $0.fsyncMaxDays = 7 }
        try strict.login()
        #expect(fsync(strict, daysBack: 8).status == 400 && fsync(strict, daysBack: 6).status == 200)
    }
}
