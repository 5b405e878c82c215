import ArchiveStore
import Dispatch
import RinglogSupport
import Synchronization

/// Hashes media files on a thread of its own while the walk goes on parsing sidecars and manifest
/// lines, so that verify costs about the larger of the two rather than their sum. Jobs complete in
/// the order they were submitted (one serial queue), which is what lets the walk's position advance
/// only past work that is finished. At most `depth` jobs are in flight: memory stays bounded.
final class HashPipeline: Sendable {
    struct Job: Sendable {
        /// Where the walk stands once this job is done.
        let position: VerifyPosition
        /// Nil: a marker (no file to hash), completed in order with the others.
        let file: (absolute: String, relative: String, sha256: String, size: Int64, source: String)?
    }

    enum Outcome: Sendable {
        case marker
        case hashed(sha256: String, size: Int64)
        case unreadable(String)
        case stopped
    }

    private struct State {
        var results: [(Job, Outcome)] = []
        var stopped = false
        var hashedBytes: Int64 = 0
        /// Jobs finished (markers included). The deadline applies only once one has: every run
        /// advances its pass by at least one file or folder, however short its time box.
        var completed = 0
    }

    private let queue = DispatchQueue(label: "ringlog.verify.hash")
    private let slots: DispatchSemaphore
    private let state = Mutex(State())
    private let pastDeadline: @Sendable () -> Bool
    private let cancelled: @Sendable () -> Bool

    init(depth: Int = 64, pastDeadline: @escaping @Sendable () -> Bool, cancelled: @escaping @Sendable () -> Bool) {
        slots = DispatchSemaphore(value: depth)
        self.pastDeadline = pastDeadline
        self.cancelled = cancelled
    }

    /// Whether anything finished yet (the deadline is not applied before).
    var hasCompleted: Bool { state.withLock { $0.completed > 0 } }

    private func shouldStop() -> Bool { cancelled() || (hasCompleted && pastDeadline()) }

    var hashedBytes: Int64 { state.withLock { $0.hashedBytes } }

    func submit(_ job: Job) {
        slots.wait()
        queue.async { [self] in
            let outcome = run(job)
            state.withLock { state in
                state.results.append((job, outcome))
                if case .stopped = outcome {} else { state.completed += 1 }
            }
            slots.signal()
        }
    }

    private func run(_ job: Job) -> Outcome {
        guard let file = job.file else { return .marker }
        if state.withLock({ $0.stopped }) || shouldStop() { return stop() }
        do {
            let digest = try DurableFiles.streamFile(file.absolute, chunkSize: 1 << 20) { chunk in
                state.withLock { $0.hashedBytes += Int64(chunk.count) }
                if shouldStop() { throw StopRun() }
            }
            return .hashed(sha256: digest.sha256, size: digest.size)
        } catch is StopRun {
            return stop()
        } catch {
            return .unreadable("\(error)")
        }
    }

    private func stop() -> Outcome {
        state.withLock { $0.stopped = true }
        return .stopped
    }

    /// Results finished so far, in submission order.
    func take() -> [(Job, Outcome)] {
        state.withLock { state in
            defer { state.results.removeAll(keepingCapacity: true) }
            return state.results
        }
    }

    /// Waits for every submitted job, then returns the results not taken yet.
    func drain() -> [(Job, Outcome)] {
        queue.sync {}
        return take()
    }
}
