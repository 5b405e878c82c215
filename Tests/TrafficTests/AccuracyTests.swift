import Testing
@testable import Traffic

/// The large-centre accuracy the issue asks for: 1e-12 relative at N = 10,000 and A = 9,900,
/// against exact rational arithmetic (ExactArithmetic.swift) and, as a third opinion, digits from
/// mpmath at 60 significant digits (Python, `mp.dps = 60`, the same recursion in 60-digit decimals).
@Suite struct LargeCentreAccuracyTests {
    func relativeError(_ value: Double, _ reference: Double) -> Double { abs(value - reference) / abs(reference) }

    @Test func erlangBAndCAtTenThousandAgentsMatchExactArithmetic() {
        for (p, q) in [(UInt32(9_900), UInt32(1)), (19_801, 2), (9_990, 1)] {
            let traffic = Double(p) / Double(q)
            let exact = exactErlang(agents: 10_000, trafficNumerator: p, denominator: q)
            let queue = QueueModel(agents: 10_000, trafficErlangs: traffic, averageHandleSeconds: 180)
            #expect(relativeError(queue.blocking, exact.blocking) < 1e-12, "B(10000, \(traffic)): \(queue.blocking) vs exact \(exact.blocking)")
            #expect(relativeError(queue.waitProbability, exact.waitProbability) < 1e-12,
                    "C(10000, \(traffic)): \(queue.waitProbability) vs exact \(exact.waitProbability)")
            // SL and ASA follow from C with two more correctly rounded operations.
            let exactASA = exact.waitProbability * 180 / (10_000 - traffic)
            #expect(relativeError(queue.averageSpeedOfAnswerSeconds!, exactASA) < 1e-12)
            let exactLate = exact.waitProbability * exp(-(10_000 - traffic) * 20 / 180)
            #expect(relativeError(queue.probabilityOfWaitingLonger(than: 20), exactLate) < 1e-12)
        }
    }

    @Test func erlangCAtTenThousandAgentsMatchesSixtyDigitReference() {
        // mpmath, mp.dps = 60: C(10000, 9900) = 0.222776928864148240969564660124871267581896…
        //                      B(10000, 9900) = 0.00285812673885658642162949424223746446380584…
        //                      C(10000, 9900.5) = 0.224774923357711743103485603421668675873976…
        let queue = QueueModel(agents: 10_000, trafficErlangs: 9_900, averageHandleSeconds: 180)
        #expect(relativeError(queue.waitProbability, 0.222776928864148240969564660124871267581896) < 1e-12)
        #expect(relativeError(queue.blocking, 0.00285812673885658642162949424223746446380584) < 1e-12)
        #expect(relativeError(QueueModel(agents: 10_000, trafficErlangs: 9_900.5, averageHandleSeconds: 180).waitProbability,
                              0.224774923357711743103485603421668675873976) < 1e-12)
        // ASA = C·AHT/(N−A) = 0.400998471955466833745… s; SL(20 s) = 0.999996670523382614149…
        #expect(relativeError(queue.averageSpeedOfAnswerSeconds!, 0.400998471955466833745216388224768281647413) < 1e-12)
        #expect(relativeError(queue.serviceLevel(withinSeconds: 20), 0.999996670523382614149690089577747588925802) < 1e-12)
    }

    @Test func theExactArithmeticItselfAgreesWithSmallHandComputedCases() {
        // B(2, 1) = (1/2) / (1 + 1 + 1/2) = 1/5; C(2, 1) = 2·(1/5) / (2 − 1·(4/5)) = 1/3.
        let small = exactErlang(agents: 2, trafficNumerator: 1, denominator: 1)
        #expect(abs(small.blocking - 0.2) < 1e-16 && abs(small.waitProbability - 1.0 / 3) < 1e-16)
        // C(2, 1.5) = 9/14 (two 1 Mb/s lines, 150 packets/s of 10 kb: A = 1.5).
        #expect(abs(exactErlang(agents: 2, trafficNumerator: 3, denominator: 2).waitProbability - 9.0 / 14) < 1e-16)
    }

    /// Adversarial review of issue 13: where B is below the smallest double the recursion stuck at the
    /// smallest subnormal, 5e-324 (A·B(k−1) / k rounds back up to it while A/k > 1/2), instead of
    /// underflowing to 0: B(10000, 6000) is 1.96e-484 (mpmath, 30 digits), C(10000, 6000) 4.9e-484.
    @Test func blockingBeyondTheSmallestDoubleIsZeroNotTheSmallestSubnormal() {
        #expect(ErlangB.blocking(lines: 10_000, traffic: 6_000) == 0)
        let queue = QueueModel(agents: 10_000, trafficErlangs: 6_000, averageHandleSeconds: 180)
        #expect(queue.waitProbability == 0 && queue.averageSpeedOfAnswerSeconds == 0 && queue.serviceLevel(withinSeconds: 0) == 1)
        // Where B is a subnormal, it is that subnormal to within a few of its ulps (4.9e-324).
        for (traffic, reference) in [(6_680.0, 1.6719031689815848577e-313), (6_690, 2.381328033991480803e-311), (6_700, 3.3168339930011894585e-309)] {
            #expect(abs(ErlangB.blocking(lines: 10_000, traffic: traffic) - reference) <= max(4 * Double.leastNonzeroMagnitude, 1e-12 * reference),
                    "B(10000, \(traffic))")
        }
    }

    @Test func nothingOverflowsWhereTheTextbookFormulaWould() {
        // A^N / N! overflows past N ≈ 170; the recursion does not.
        for (agents, traffic) in [(171, 150.0), (1_000, 990.0), (100_000, 99_500.0)] {
            let queue = QueueModel(agents: agents, trafficErlangs: traffic, averageHandleSeconds: 300)
            #expect(queue.waitProbability.isFinite && queue.waitProbability > 0 && queue.waitProbability < 1, "C(\(agents), \(traffic))")
            #expect(queue.blocking.isFinite && queue.blocking > 0)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
