import Dispatch
import RingCentral
import RinglogSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Rate groups drain their budgets at the same time.
///
/// RingCentral budgets each group separately (recordings and the call log share Heavy, 10 requests
/// per 60 s by default; message attachments and the extension list are Medium; message sync and
/// lists Light). Run one after the other, the Heavy budget idles while the messages are read, and
/// messages wait for the whole recording backlog (hours in production). So the run's two parts — the
/// call log with its recordings (Heavy) and the messages (Light and Medium) — run on two threads.
///
/// They share the engine under one lock, `EngineLock`, held by whichever part is doing local work
/// and released only while a request is on the network (`LockReleasingSource`). Local work is
/// therefore still one thing at a time, in the same order within each part: every write goes
/// through the one `TenantWriter` exactly as before, so the durability order (media → sidecar →
/// manifest → pending → state) and the lease are unchanged, and a checkpoint by either part writes
/// the state as the other left it — each part advances its own streams only after the data they
/// cover is durable. Within each group the governor still allows one request in flight.
extension SyncEngine {
    /// Runs `heavy` here and `others` on a second thread, the network waits of each overlapping the
    /// other's. The first error either throws is rethrown once both have stopped; it also stops the
    /// other part at its next item (`interruption()`), so a full disk or a lost lease ends the run.
    func runGroupsConcurrently(heavy: () throws -> Void, others: @escaping () throws -> Void) throws {
        try runPartsConcurrently(heavy: heavy, others: [others])
    }

    /// The same with any number of other parts, each on a thread of its own (the messages; the RingSense
    /// insights, which the call-log part queues and a part of their own asks for, SyncEngine+Insights.swift).
    func runPartsConcurrently(heavy: () throws -> Void, others: [() throws -> Void]) throws {
        let outcome = FirstFailure(stopping: groupStop)
        let done = DispatchGroup()
        engineLock.lock()
        engineLock.isShared.store(true, ordering: .sequentiallyConsistent)
        for (index, part) in others.enumerated() {
            let part = UnsafeTransfer(part)
            done.enter()
            DispatchQueue(label: "ringlog.sync.part\(index + 1)").async { [engineLock] in
                engineLock.lock()
                do { try part.value() } catch { outcome.note(error) }
                engineLock.broadcast()  // a part waiting for work re-checks whether the run goes on
                engineLock.unlock()
                done.leave()
            }
        }
        do { try heavy() } catch { outcome.note(error) }
        engineLock.broadcast()
        engineLock.unlock()
        done.wait()
        engineLock.isShared.store(false, ordering: .sequentiallyConsistent)
        if let error = outcome.error { throw error }
    }
}

/// The first error of the concurrent parts: the run's cause (the other part's, if any, is its consequence).
///
/// `@unchecked Sendable` is safe: `note` runs only under the `EngineLock` (a part's error is thrown
/// and caught in engine code, which holds it), and `error` is read after both parts have ended (the
/// semaphore orders that read after every write).
private final class FirstFailure: @unchecked Sendable {
    private(set) var error: (any Error)?
    private let stop: CancellationFlag

    init(stopping stop: CancellationFlag) { self.stop = stop }

    func note(_ error: any Error) {
        guard self.error == nil else { return }
        self.error = error
        stop.cancel(reason: "stopped because the other part of the run failed: \(error)")
    }
}

/// The engine's lock while its parts run concurrently (see `runGroupsConcurrently`).
final class EngineLock: Sendable {
    /// True while two parts run: only then do sources release the lock around requests.
    let isShared = Atomic<Bool>(false)
    private let mutex = PthreadMutex()

    func lock() { mutex.lock() }
    func unlock() { mutex.unlock() }

    /// Releases the lock until `broadcast()` or `seconds` pass, then takes it again (held by the caller).
    /// The timeout bounds the wait whatever is missed: a waiting part re-checks its conditions.
    func wait(seconds: Double) { mutex.wait(seconds: seconds) }
    /// Wakes every part waiting in `wait` (called with the lock held).
    func broadcast() { mutex.broadcast() }

    /// Runs `body` (a request) without the lock when the parts share it, so the other part can work.
    func released<T>(_ body: () throws(RingCentralError) -> T) throws(RingCentralError) -> T {
        guard isShared.load(ordering: .sequentiallyConsistent) else { return try body() }
        unlock()
        defer { lock() }
        return try body()
    }
}

/// A pthread mutex that can be locked and unlocked in different scopes (Synchronization's `Mutex`
/// only offers a closure-scoped lock).
///
/// `@unchecked Sendable` is safe: the mutex lives at a fixed heap address for the object's lifetime
/// and is only ever touched through `pthread_mutex_*`, which are thread-safe by definition.
private final class PthreadMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled under the mutex (`broadcast`), waited on with it (`wait`).
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    func wait(seconds: Double) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int(now.tv_nsec) + Int(max(0, min(seconds, 60)) * 1e9)
        var deadline = timespec(tv_sec: now.tv_sec + nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Carries the messages part (a closure over the non-Sendable engine) to its thread.
///
/// `@unchecked Sendable` is safe: the engine it reaches is only touched while the `EngineLock` is
/// held (both parts take it before running and release it only inside a request), so no two
/// threads ever touch the engine's state at once.
private struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// An `ArchiveSource` whose requests release the engine's lock while on the network.
struct LockReleasingSource: ArchiveSource {
    let inner: any ArchiveSource
    let lock: EngineLock

    func accountInfo() throws(RingCentralError) -> AccountInfo {
        try lock.released { () throws(RingCentralError) in try inner.accountInfo() }
    }

    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] {
        try lock.released { () throws(RingCentralError) in try inner.extensions(perPage: perPage) }
    }

    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        try lock.released { () throws(RingCentralError) in
            try inner.callLogPage(dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, view: view, nextPageURI: nextPageURI)
        }
    }

    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        try lock.released { () throws(RingCentralError) in try inner.callLogSync(request, view: view) }
    }

    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                     nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        try lock.released { () throws(RingCentralError) in
            try inner.messagePage(extensionId: extensionId, types: types, dateFrom: dateFrom, dateTo: dateTo, perPage: perPage,
                                  nextPageURI: nextPageURI)
        }
    }

    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try lock.released { () throws(RingCentralError) in try inner.messageSync(extensionId: extensionId, types: types, request) }
    }

    func message(extensionId: String, id: String) throws(RingCentralError) -> MessageRecord? {
        try lock.released { () throws(RingCentralError) in try inner.message(extensionId: extensionId, id: id) }
    }

    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try lock.released { () throws(RingCentralError) in try inner.downloadRecording(contentURI: contentURI, to: descriptor) }
    }

    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try lock.released { () throws(RingCentralError) in try inner.downloadAttachment(uri: uri, to: descriptor) }
    }

    func recordingInsights(recordingId: String) throws(RingCentralError) -> RecordingInsights? {
        try lock.released { () throws(RingCentralError) in try inner.recordingInsights(recordingId: recordingId) }
    }

    var servesInsights: Bool { inner.servesInsights }

    func revoke() { inner.revoke() }

    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { inner.rateLimitStatistics }
}
