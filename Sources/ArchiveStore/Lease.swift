import Dispatch
import RinglogSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Why a run may not write: another run holds the tenant, or this run lost its lease (fenced).
/// Both map to exit status 5.
public enum LeaseError: RunFatalError, Sendable {
    case held(path: String, holder: String, expiresAt: String)
    case fenced(path: String, reason: String)

    public var description: String {
        switch self {
        case .held(let path, let holder, let expiresAt):
            "another ringlog run holds \(path) (\(holder), lease until \(expiresAt)); it is renewed while that run "
                + "works, so wait for it to finish (a crashed run's lease lapses at that time)"
        case .fenced(let path, let reason):
            "this run lost its lease \(path) (\(reason)); it stopped writing to the tenant and aborted its transfers"
        }
    }
}

/// A per-tenant writer lease that needs no flock/fcntl (unreliable on NFS and SMB), only an atomic
/// exclusive create (O_CREAT|O_EXCL, atomic on both).
///
/// Leases are numbered: `.ringlog/lease.<generation>`, 20 digits. The current lease is the file
/// with the highest generation. A run takes the tenant by creating generation g+1 with O_EXCL,
/// and only when generation g is free (released, expired, or held by a dead process on this host).
/// Nothing is ever renamed or removed to take a lease, so a contender acting on an outdated view can
/// only fail its create (EEXIST), never remove the lease another contender just took: of all the
/// contenders that see the same free lease g, exactly one creates g+1.
///
/// The holder renews on its own timer (every third of the lease) by rewriting its own file, after
/// checking that the file still carries its token and that no generation g+1 exists. It counts its
/// lease valid only until `leaseSeconds − margin` after the last renewal *by its monotonic clock*,
/// and a contender may take over only after the written `expiresAt` *by the wall clock*; so a
/// holder that was frozen (SIGSTOP, a VM pause) or could not renew stops writing before anyone may
/// take over. A holder that finds its lease gone or taken, or that passes its validity, is fenced:
/// `check()` throws from then on and `cancellation` is raised so in-flight transfers abort.
public final class Lease: Sendable {
    public static let filePrefix = "lease."
    /// The single lock file of earlier ringlog versions; a live one is still honoured.
    static let legacyFileName = "lock"

    public let directory: String
    public let token: String
    public let generation: UInt64
    public let leaseSeconds: Double
    public let holder: String
    /// The run this lease is for, recorded in the file so that a run that never released its lease
    /// (killed, crashed) can be named by the next one.
    public let runId: String?
    public let acquiredAt: Timestamp
    /// The lease this one superseded without its holder having released it: a run that ended abnormally.
    public let abandoned: AbandonedLease?
    let margin: Double
    let cancellation: CancellationFlag?
    private let state: Mutex<State>
    /// Serialises this holder's own writes of its lease file (a renewal never overwrites the release).
    private let fileLock = Mutex<Void>(())

    private struct State {
        var validUntil: Double  // monotonic seconds
        var fenceReason: String?
        var released = false
    }

    public var path: String { Self.path(directory, generation) }

    static func path(_ directory: String, _ generation: UInt64) -> String {
        let digits = String(generation)
        return DurableFiles.join(directory, filePrefix + String(repeating: "0", count: max(0, 20 - digits.count)) + digits)
    }

    private init(directory: String, token: String, generation: UInt64, leaseSeconds: Double, holder: String,
                 validUntil: Double, cancellation: CancellationFlag?, runId: String?, abandoned: AbandonedLease?) {
        self.runId = runId
        self.abandoned = abandoned
        self.acquiredAt = Timestamp.now()
        self.directory = directory
        self.token = token
        self.generation = generation
        self.leaseSeconds = leaseSeconds
        self.holder = holder
        self.margin = min(30, max(0.2, leaseSeconds * 0.2))
        self.cancellation = cancellation
        self.state = Mutex(State(validUntil: validUntil))
    }

    /// Takes the lease in `directory` (created if needed) or throws `LeaseError.held` at once; never waits.
    /// With `renewing`, a timer renews it until `release()`.
    public static func acquire(in directory: String, leaseSeconds: Double = 600, cancellation: CancellationFlag? = nil,
                               renewing: Bool = true, runId: String? = nil) throws -> Lease {
        precondition(leaseSeconds > 0 && leaseSeconds.isFinite)
        try DurableFiles.createDirectories(directory)
        let token = randomToken()
        let holder = currentHolder()
        for _ in 0..<16 {
            try refuseLiveLegacyLock(directory)
            let generations = Self.generations(in: directory)
            if let top = generations.last, let live = try liveHolder(path(directory, top), leaseSeconds: leaseSeconds) {
                throw LeaseError.held(path: path(directory, top), holder: live.holder, expiresAt: live.expiresAt)
            }
            guard (generations.last ?? 0) < UInt64.max - 1 else {
                throw ControlFileError(path(directory, generations.last ?? 0), "lease generation exhausted; remove the lease files of this directory")
            }
            let next = (generations.last ?? 0) + 1
            let candidate = path(directory, next)
            let previous = generations.last.flatMap { AbandonedLease(path: path(directory, $0)) }
            let started = leaseClockSeconds()
            let lease = Lease(directory: directory, token: token, generation: next, leaseSeconds: leaseSeconds, holder: holder,
                              validUntil: started + leaseSeconds, cancellation: cancellation, runId: runId, abandoned: previous)
            // The content (and the boot id it reads from /proc) before the create: a run killed between the create and the
            // write leaves an empty file that holds the tenant for a lease's length (§8.3), so nothing else may come between.
            let content = lease.content(released: false)
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, DurableFiles.fileMode)
            guard descriptor >= 0 else {
                if errno == EEXIST { continue }  // another contender took `next` first: look again
                throw ArchiveIOError("create lease", candidate)
            }
            do {
                try DurableFiles.writeAll(descriptor, content, path: candidate)
                guard fsync(descriptor) == 0 else { throw ArchiveIOError("fsync", candidate) }
                close(descriptor)
                try DurableFiles.syncDirectory(directory)
            } catch {
                close(descriptor)
                // Our own file (O_EXCL), never read as a lease while it is young: left behind, it would read as "a run
                // that is starting" and refuse every run for a lease's length, after a disk that was full for a moment.
                // (A run killed in between still leaves it: held until it is a lease old, then free.)
                unlink(candidate)
                throw error
            }
            lease.state.withLock { $0.validUntil = started + leaseSeconds - lease.margin }
            // A contender with an outdated listing may have created a still higher generation: theirs wins.
            if Self.generations(in: directory).last.map({ $0 > next }) ?? false {
                lease.release()
                continue
            }
            lease.removeSuperseded()
            if renewing { lease.startRenewing() }
            return lease
        }
        throw LeaseError.held(path: DurableFiles.join(directory, filePrefix + "*"), holder: "unknown (too many contenders)", expiresAt: "unknown")
    }

    /// Generations present, ascending.
    static func generations(in directory: String) -> [UInt64] {
        DurableFiles.list(directory).compactMap { name -> UInt64? in
            guard name.hasPrefix(filePrefix) else { return nil }
            let digits = name.dropFirst(filePrefix.count)
            guard digits.count == 20, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return UInt64(digits)
        }.sorted()
    }

    /// The holder of the lease file at `path` if it is live; nil if it is free (released, expired,
    /// or its holder was a process on this host that no longer exists).
    static func liveHolder(_ path: String, leaseSeconds: Double) throws -> (holder: String, expiresAt: String)? {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return nil }
        guard let json = try? JSON.parse(bytes), let expires = json["expiresAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else {
            // Created but not yet (or never) written: live while young, free once a lease old. An mtime
            // far in the future (a skewed server clock, a touched file) must not hold the tenant for ever.
            let age = DurableFiles.ageSeconds(path) ?? 0
            return abs(age) < leaseSeconds ? (holder: "a run that is starting", expiresAt: "unknown") : nil
        }
        if json["released"]?.boolValue == true { return nil }
        let holder = json["holder"]?.stringValue ?? "unknown"
        if expires < Timestamp.now() || holderIsDeadLocally(holder, bootId: json["bootId"]?.stringValue) { return nil }
        return (holder, expires.iso8601)
    }

    private static func refuseLiveLegacyLock(_ directory: String) throws {
        let legacy = DurableFiles.join(directory, legacyFileName)
        if let live = try liveHolder(legacy, leaseSeconds: 600) {
            throw LeaseError.held(path: legacy, holder: live.holder, expiresAt: live.expiresAt)
        }
    }

    /// Keeps the previous generation (a contender whose listing is a little behind then fails its
    /// create instead of re-creating a removed generation); removes older ones and a stale legacy lock.
    private func removeSuperseded() {
        for old in Self.generations(in: directory) where old + 1 < generation { unlink(Self.path(directory, old)) }
        let legacy = DurableFiles.join(directory, Self.legacyFileName)
        if (try? Self.liveHolder(legacy, leaseSeconds: 600)) == nil, DurableFiles.exists(legacy) { unlink(legacy) }
    }

    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        return hexString(bytes)
    }

    public static func currentHolder() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let host = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return "\(host):\(getpid())"
    }

    /// A holder on this very host, in this boot, whose process is gone crashed: its lease is free at
    /// once. Same host name is not enough (containers and cloned VMs share names), so the kernel's
    /// boot id must match too where the lease recorded one. Holders elsewhere are judged by expiry.
    static func holderIsDeadLocally(_ holder: String, bootId: String?) -> Bool {
        guard let colon = holder.lastIndex(of: ":"), let pid = Int32(holder[holder.index(after: colon)...]), pid > 0 else { return false }
        let host = String(currentHolder().split(separator: ":").dropLast().joined(separator: ":"))
        guard String(holder[..<colon]) == host, pid != getpid() else { return false }
        if let bootId, let ours = Self.bootId, bootId != ours { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// This boot's id (Linux), or nil where the system has none.
    static let bootId: String? = {
        guard let bytes = try? DurableFiles.read("/proc/sys/kernel/random/boot_id") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).filter { $0.isHexDigit || $0 == "-" }
        return text.isEmpty ? nil : text
    }()

    private func content(released: Bool) -> [UInt8] {
        let now = Timestamp.now()
        var object = JSONObject()
        object["format"] = "ringlog-lease"
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["generation"] = .int(Int64(generation))
        object["token"] = .string(token)
        object["holder"] = .string(holder)
        if let runId { object["runId"] = .string(runId) }
        object["acquiredAt"] = .string(acquiredAt.iso8601)
        if let bootId = Self.bootId { object["bootId"] = .string(bootId) }
        object["renewedAt"] = .string(now.iso8601)
        object["expiresAt"] = .string(released ? now.iso8601 : now.adding(seconds: leaseSeconds).iso8601)
        if released { object["released"] = .bool(true) }
        return JSON.object(object).serializedBytes() + [0x0A]
    }

    // MARK: Holding

    /// Throws `LeaseError.fenced` once the lease is lost or no longer certainly valid. Every write to
    /// the tree calls it first; it does no I/O.
    public func check() throws(LeaseError) {
        let reason: String? = state.withLock { state in
            if state.fenceReason == nil && leaseClockSeconds() >= state.validUntil {
                state.fenceReason = "the lease ran out before it could be renewed (was the process stopped, or the share unreachable?)"
            }
            return state.fenceReason
        }
        if let reason {
            cancellation?.cancel(reason: reason)
            throw .fenced(path: path, reason: reason)
        }
    }

    public var isFenced: Bool { (try? check()) == nil }

    /// `check()`, and also that no later generation exists, which the renewal would only see at its next
    /// tick (a third of the lease away): one directory listing, made before the writes that move a run's
    /// cursor (the pending queue, the state), so a run never advances its state over a successor's.
    public func checkNotSuperseded() throws(LeaseError) {
        try check()
        if let successor = Self.generations(in: directory).last, successor > generation {
            fence(Self.takenOverReason(directory, successor))
            try check()
        }
    }

    func fence(_ reason: String) {
        state.withLock { if $0.fenceReason == nil { $0.fenceReason = reason } }
        cancellation?.cancel(reason: reason)
    }

    /// Renews every third of the lease on a thread of its own, whatever the run is doing (a slow
    /// download, a rate-limit pause), until `release()`.
    private func startRenewing() {
        let interval = leaseSeconds / 3
        DispatchQueue(label: "ringlog.lease.renewal").async { [self] in
            var next = leaseClockSeconds() + interval
            while !state.withLock({ $0.released }) {
                let now = leaseClockSeconds()
                if now >= next {
                    renew()
                    _ = try? check()  // fences (and cancels transfers) once the lease has run out unrenewed
                    next = now + interval
                }
                var pause = timespec(tv_sec: 0, tv_nsec: Int(min(0.1, max(0.001, next - now)) * 1e9))
                nanosleep(&pause, nil)
            }
        }
    }

    static func takenOverReason(_ directory: String, _ successor: UInt64) -> String {
        let holder = (try? JSON.parse(DurableFiles.read(path(directory, successor))))?["holder"]?.stringValue ?? "another run"
        return "taken over by \(holder) as generation \(successor)"
    }

    /// One renewal: verify the lease is still ours and not superseded, then extend it.
    public func renew() {
        guard !isFenced else { return }
        if let successor = Self.generations(in: directory).last, successor > generation {
            return fence(Self.takenOverReason(directory, successor))
        }
        let current: [UInt8]?
        do { current = try DurableFiles.readIfPresent(path) } catch { return }  // unreadable now: try again next tick
        guard let current else { return fence("the lease file was removed") }
        guard let json = try? JSON.parse(current), json["token"]?.stringValue == token, json["released"]?.boolValue != true else {
            return fence("the lease file no longer carries this run's token")
        }
        let started = leaseClockSeconds()
        let renewed = fileLock.withLock { _ -> Bool in
            guard !state.withLock({ $0.released }) else { return false }
            // On failure (a full disk) keep trying; check() fences once the lease runs out.
            return (try? DurableFiles.writeAtomically(path, content(released: false), owner: token, onlyIfChanged: false)) != nil
        }
        guard renewed else { return }
        state.withLock { state in
            if state.fenceReason == nil { state.validUntil = started + leaseSeconds - margin }
        }
    }

    /// Stops renewing and marks the lease free, if it is still this run's. The file stays: the
    /// generation number must never go back, or a slow contender could re-create a removed one.
    public func release() {
        fileLock.withLock { _ in
            let wasReleased = state.withLock { state -> Bool in
                defer { state.released = true }
                return state.released
            }
            guard !wasReleased, !isFenced else { return }
            guard let bytes = try? DurableFiles.readIfPresent(path), let json = try? JSON.parse(bytes), json["token"]?.stringValue == token,
                Self.generations(in: directory).last == generation
            else { return }
            _ = try? DurableFiles.writeAtomically(path, content(released: true), owner: token, onlyIfChanged: false)
        }
    }
}

/// The clock the holder measures its lease by: it must keep running while the process is stopped
/// *and* while the machine is suspended (a laptop lid, a VM snapshot), or a resumed holder would
/// think its lease still valid. CLOCK_BOOTTIME does both on Linux; CLOCK_MONOTONIC elsewhere.
func leaseClockSeconds() -> Double {
    var spec = timespec()
    #if os(Linux)
    clock_gettime(CLOCK_BOOTTIME, &spec)
    #else
    clock_gettime(CLOCK_MONOTONIC, &spec)
    #endif
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// A lease that was taken over without having been released: its run ended abnormally (killed with
/// SIGKILL, crashed, its machine stopped, or it was frozen past its expiry).
public struct AbandonedLease: Sendable {
    public let holder: String
    public let runId: String?
    public let acquiredAt: Timestamp?
    public let renewedAt: Timestamp?

    /// Nil when the file is released (a clean end) or unreadable.
    init?(path: String) {
        guard let bytes = try? DurableFiles.read(path), let json = try? JSON.parse(bytes), json["released"]?.boolValue != true,
            let holder = json["holder"]?.stringValue
        else { return nil }
        self.holder = holder
        runId = json["runId"]?.stringValue
        acquiredAt = json["acquiredAt"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        renewedAt = json["renewedAt"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
    }
}

extension DurableFiles {
    static func ageSeconds(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
    }
}

/// What a reader that takes no lease (verify, export) sees of a directory's current lease: enough to
/// tell whether a writer may be working right now and since when, so that it does not mistake that
/// writer's files in flight for damage.
public struct LeaseObservation: Sendable, Equatable {
    public let generation: UInt64
    /// Nil for a lease file that is created but not written yet (a run that is starting).
    public let token: String?
    public let holder: String?
    /// When the holder's run took the lease; its writes are no older than this (for a half-written
    /// lease file, its mtime).
    public let acquiredAt: Timestamp?
    /// Not released, not expired, and not held by a dead process of this host.
    public let live: Bool
}

extension Lease {
    /// The current (highest) lease of `directory`, or nil when there is none. Reads only.
    public static func observe(in directory: String, leaseSeconds: Double = 600) -> LeaseObservation? {
        guard let top = generations(in: directory).last else { return nil }
        let file = path(directory, top)
        let live: Bool
        do { live = try liveHolder(file, leaseSeconds: leaseSeconds) != nil } catch { live = true }  // unreadable: assume a writer
        guard let bytes = try? DurableFiles.read(file), let json = try? JSON.parse(bytes) else {
            let modified = DurableFiles.ageSeconds(file).map { Timestamp.now().adding(seconds: -$0) }
            return LeaseObservation(generation: top, token: nil, holder: nil, acquiredAt: modified, live: live)
        }
        return LeaseObservation(generation: top, token: json["token"]?.stringValue, holder: json["holder"]?.stringValue,
                                acquiredAt: json["acquiredAt"]?.stringValue.flatMap { Timestamp(iso8601: $0) }, live: live)
    }
}
