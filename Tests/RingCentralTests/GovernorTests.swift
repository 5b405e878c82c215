import CurlHTTP
import Dispatch
import Foundation
import RingCentral
import RinglogSupport
import Synchronization
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The rate-limit governor against the time-scaled simulator, whose `/__sim/stats` counts every
/// request that arrives inside a penalty window.
@Suite(.serialized) struct GovernorTests {
    /// Three workers compete for the Heavy group (call-log pages and recording downloads) for a
    /// fixed number of requests; the governor must keep the group busy without a single request
    /// inside a penalty.
    @Test(arguments: [0.0, 0.1])
    func keepsHeavyBusyWithZeroRequestsInPenalty(burst429Share: Double) async throws {
        let sim = try await LiveSimulator.start { $0.timeScale = 60 }  // Heavy: 10 per 1 s window, 1 s penalty
        let client = sim.client()
        _ = try await blocking { try client.login() }
        let records = try await blocking {
            try client.callLog(dateFrom: Timestamp(iso8601: "2026-11-13T00:00:00Z")!, dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!)
        }
        let recordings = records.compactMap(\.recording)
        sim.setFaults(#"{"burst429Share": \#(burst429Share)}"#)
        let before = sim.stats["groups"]?["Heavy"]?["requests"]?.int ?? 0
        let started = monotonicSeconds()
        let perWorker = 12
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<3 {
                group.addTask {
                    try await blocking {
                        for index in 0..<perWorker {
                            if (worker + index) % 2 == 0 {
                                let recording = recordings[(worker * perWorker + index) % recordings.count]
                                let file = temporaryFile()
                                defer { close(file.descriptor); unlink(file.path) }
                                _ = try client.downloadRecording(contentURI: recording.contentURI, to: file.descriptor)
                            } else {
                                _ = try client.callLogPage(dateFrom: Timestamp(iso8601: "2026-11-18T00:00:00Z")!,
                                                           dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!, perPage: 50)
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = monotonicSeconds() - started
        let stats = sim.stats
        let heavy = (stats["groups"]?["Heavy"]?["requests"]?.int ?? 0) - before
        let rate = Double(heavy) / elapsed
        print("governor figures (burst429Share \(burst429Share)): \(heavy) Heavy requests in \((elapsed * 100).rounded() / 100) s = "
              + "\((rate * 10).rounded() / 10)/s against a budget of 10/s; stats \(stats.serialized())")
        #expect(stats["requestsInPenalty"]?.int == 0, "no request may land inside a penalty window")
        if burst429Share == 0 {
            #expect(stats["429s"]?.int == 0, "pacing alone keeps the group under its limit")
            // Throughput depends on the CPU being free: `make test` runs this suite on its own with
            // RINGLOG_ISOLATED_TIMING=1; beside a parallel suite on two cores the figure only prints.
            if ProcessInfo.processInfo.environment["RINGLOG_ISOLATED_TIMING"] == "1" {
                #expect(rate >= 5, "the Heavy group stays busy: \(rate)/s of 10/s")
            }
        } else {
            #expect((stats["429s"]?.int ?? 0) > 0, "the burst fault fired")
        }
        let governed = client.governor.statistics[.heavy]
        #expect(governed?.limit == 10 && governed?.window == 1, "budget learned from X-Rate-Limit-* headers")
    }

    @Test func budgetsAreLearnedNotAssumed() async throws {
        // Without a response the governor knows nothing; with one, it knows exactly what the server said.
        let governor = RateGovernor()
        #expect(governor.statistics[.light] == nil)
        governor.acquire(.light)
        governor.finish(.light, status: 200, headers: HTTPHeaders([("X-Rate-Limit-Group", "light"), ("X-Rate-Limit-Limit", "7"),
                                                                  ("X-Rate-Limit-Remaining", "6"), ("X-Rate-Limit-Window", "0.5")]))
        #expect(governor.statistics[.light]?.limit == 7)
        #expect(governor.statistics[.light]?.window == 0.5)
    }

    @Test func sendsNothingUntilRetryAfterHasPassed() {
        let governor = RateGovernor()
        governor.acquire(.auth)
        governor.finish(.auth, status: 429, headers: HTTPHeaders([("Retry-After", "0.4")]))
        #expect(governor.penaltyEnd(.auth) != nil)
        let started = monotonicSeconds()
        governor.acquire(.auth)
        #expect(monotonicSeconds() - started >= 0.4, "the next request waited out the whole penalty")
        governor.finish(.auth, status: 200, headers: nil)
        #expect(governor.penaltyEnd(.heavy) == nil, "other groups are unaffected")
    }

    @Test func aBudgetSpentByAnotherClientIsRespected() {
        let governor = RateGovernor()
        governor.acquire(.medium)
        governor.finish(.medium, status: 200, headers: HTTPHeaders([("X-Rate-Limit-Limit", "40"), ("X-Rate-Limit-Remaining", "0"),
                                                                   ("X-Rate-Limit-Window", "0.3")]))
        let started = monotonicSeconds()
        governor.acquire(.medium)
        governor.finish(.medium, status: 200, headers: nil)
        #expect(monotonicSeconds() - started >= 0.3, "remaining 0 with only one request of ours: wait a window")
    }

    @Test func onlyOneRequestPerGroupIsInFlight() async throws {
        let governor = RateGovernor()
        let concurrent = InFlightCounter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async {
                            for _ in 0..<5 {
                                governor.acquire(.heavy)
                                concurrent.state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
                                usleep(2000)
                                concurrent.state.withLock { $0.now -= 1 }
                                governor.finish(.heavy, status: 200, headers: nil)
                            }
                            continuation.resume()
                        }
                    }
                }
            }
        }
        #expect(concurrent.state.withLock { $0.peak } == 1)
        #expect(governor.statistics[.heavy]?.requests == 20)
    }
}

final class InFlightCounter: Sendable {
    let state = Mutex((now: 0, peak: 0))
}

