import ArchiveStore
import Dispatch
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

func leaseFile(_ directory: String, _ generation: Int) -> String {
    let digits = String(generation)
    return directory + "/lease." + String(repeating: "0", count: 20 - digits.count) + digits
}

func writeLease(_ path: String, holder: String, expiresIn seconds: Double, token: String = "00000000000000aa") throws {
    let json: JSON = ["format": "ringlog-lease", "layoutVersion": 1, "generation": 1, "token": .string(token), "holder": .string(holder),
                      "renewedAt": .string(Timestamp.now().iso8601), "expiresAt": .string(Timestamp.now().adding(seconds: seconds).iso8601)]
    try DurableFiles.writeAtomically(path, json.serializedBytes() + [0x0A])
}

/// A pid that is certainly not running: a child that has exited and been reaped.
func deadPid() -> Int32 {
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { free(argv[0]) }
    guard posix_spawn(&pid, "/bin/true", nil, nil, &argv, environ) == 0 else { return 999_999 }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return pid
}

@Suite struct LeaseTests {
    @Test func aHeldLeaseIsRefusedAndAReleasedOneTakenWithTheNextGeneration() throws {
        let scratch = ScratchDirectory()
        let first = try Lease.acquire(in: scratch.path, renewing: false)
        #expect(first.generation == 1)
        #expect(throws: LeaseError.self) { _ = try Lease.acquire(in: scratch.path, renewing: false) }
        first.release()
        let second = try Lease.acquire(in: scratch.path, renewing: false)
        #expect(second.generation == 2 && second.token != first.token)
        #expect(throws: LeaseError.self) { _ = try Lease.acquire(in: scratch.path, renewing: false) }
        second.release()
    }

    @Test func anExpiredLeaseIsTakenOverWithoutRemovingIt() throws {
        let scratch = ScratchDirectory()
        try writeLease(leaseFile(scratch.path, 1), holder: "otherhost:1", expiresIn: -60)
        let lease = try Lease.acquire(in: scratch.path, renewing: false)
        #expect(lease.generation == 2)
        #expect(String(decoding: try DurableFiles.read(lease.path), as: UTF8.self).contains(Lease.currentHolder()))
        #expect(DurableFiles.exists(leaseFile(scratch.path, 1)), "the previous generation stays, so a late contender's create fails")
        lease.release()
    }

    @Test func aLiveLeaseOnAnotherHostIsRespectedAndADeadLocalHolderIsNot() throws {
        let scratch = ScratchDirectory()
        try writeLease(leaseFile(scratch.path, 1), holder: "otherhost:1", expiresIn: 600)
        #expect(throws: LeaseError.self) { _ = try Lease.acquire(in: scratch.path, renewing: false) }
        let local = Lease.currentHolder().split(separator: ":").dropLast().joined(separator: ":")
        try writeLease(leaseFile(scratch.path, 2), holder: "\(local):\(deadPid())", expiresIn: 600)
        let lease = try Lease.acquire(in: scratch.path, renewing: false)
        #expect(lease.generation == 3)
        lease.release()
    }

    @Test func aLiveLockOfAnEarlierVersionIsHonoured() throws {
        let scratch = ScratchDirectory()
        let legacy: JSON = ["holder": "otherhost:1", "acquiredAt": .string(Timestamp.now().iso8601),
                            "expiresAt": .string(Timestamp.now().adding(seconds: 600).iso8601)]
        try DurableFiles.writeAtomically(scratch.path + "/lock", legacy.serializedBytes())
        #expect(throws: LeaseError.self) { _ = try Lease.acquire(in: scratch.path, renewing: false) }
    }

    @Test func anEmptyLeaseFileIsHeldWhileYoungAndFreeOnceALeaseOld() throws {
        let scratch = ScratchDirectory()
        let path = leaseFile(scratch.path, 1)
        try DurableFiles.writeAtomically(path, [])
        #expect(throws: LeaseError.self) { _ = try Lease.acquire(in: scratch.path, leaseSeconds: 600, renewing: false) }
        var old = [timespec(tv_sec: time(nil) - 700, tv_nsec: 0), timespec(tv_sec: time(nil) - 700, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &old, 0)
        let lease = try Lease.acquire(in: scratch.path, leaseSeconds: 600, renewing: false)
        #expect(lease.generation == 2)
    }

    /// Many contenders find the same stale lease at the same instant: exactly one may win, every time.
    @Test func contendersOverOneStaleLeaseNeverBothWin() throws {
        let trials = 60, contenders = 12
        var doubleHolders = 0
        for _ in 0..<trials {
            let scratch = ScratchDirectory()
            try writeLease(leaseFile(scratch.path, 1), holder: "otherhost:1", expiresIn: -1)
            let winners = Mutex<[Lease]>([])
            DispatchQueue.concurrentPerform(iterations: contenders) { _ in
                if let lease = try? Lease.acquire(in: scratch.path, renewing: false) { winners.withLock { $0.append(lease) } }
            }
            let count = winners.withLock { $0.count }
            #expect(count == 1, "\(count) contenders hold the lease")
            if count > 1 { doubleHolders += 1 }
        }
        print("lease race (threads): \(contenders) contenders × \(trials) trials, double holders \(doubleHolders)")
    }

    @Test func aTakenOverLeaseIsFencedAtTheNextRenewalAndCancelsTransfers() throws {
        let scratch = ScratchDirectory()
        let cancellation = CancellationFlag()
        let lease = try Lease.acquire(in: scratch.path, cancellation: cancellation, renewing: false)
        try lease.check()
        try writeLease(leaseFile(scratch.path, Int(lease.generation) + 1), holder: "otherhost:7", expiresIn: 600)
        lease.renew()
        #expect(throws: LeaseError.self) { try lease.check() }
        #expect(cancellation.isCancelled && cancellation.reason?.contains("taken over by otherhost:7") == true)
        let successor = try DurableFiles.read(leaseFile(scratch.path, Int(lease.generation) + 1))
        lease.release()
        #expect(try DurableFiles.read(leaseFile(scratch.path, Int(lease.generation) + 1)) == successor, "release leaves the new holder's lease alone")
    }

    @Test func aLeaseWhoseFileNoLongerCarriesItsTokenIsFencedAndNotReleasedOverTheOther() throws {
        let scratch = ScratchDirectory()
        let lease = try Lease.acquire(in: scratch.path, renewing: false)
        try writeLease(lease.path, holder: "otherhost:1", expiresIn: 600, token: "00000000000000bb")
        lease.renew()
        #expect(throws: LeaseError.self) { try lease.check() }
        let foreign = try DurableFiles.read(lease.path)
        lease.release()
        #expect(try DurableFiles.read(lease.path) == foreign, "release never rewrites a lease that is not this run's")
    }

    @Test func anEmptyLeaseFileDatedInTheFutureDoesNotHoldTheTenantForEver() throws {
        let scratch = ScratchDirectory()
        let path = leaseFile(scratch.path, 1)
        try DurableFiles.writeAtomically(path, [])
        var future = [timespec(tv_sec: time(nil) + 365 * 86_400, tv_nsec: 0), timespec(tv_sec: time(nil) + 365 * 86_400, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &future, 0)
        let lease = try Lease.acquire(in: scratch.path, leaseSeconds: 600, renewing: false)
        #expect(lease.generation == 2)
    }

    /// A holder that cannot renew (frozen, share gone) stops counting its lease valid before the
    /// written expiry, by its monotonic clock, with no I/O.
    @Test func aHolderThatDidNotRenewIsFencedBeforeItsExpiry() throws {
        let scratch = ScratchDirectory()
        let lease = try Lease.acquire(in: scratch.path, leaseSeconds: 4, renewing: false)
        try lease.check()
        let expires = Timestamp(iso8601: try JSON.parse(DurableFiles.read(lease.path))["expiresAt"]?.stringValue ?? "")!
        usleep(3_300_000)  // past leaseSeconds − margin (0.8 s), before the written expiry
        #expect(throws: LeaseError.self) { try lease.check() }
        #expect(Timestamp.now() < expires, "fenced while the file still says valid: no contender could have taken over yet")
    }

    @Test func theRenewalTimerKeepsALeaseAliveWithoutAnyProgress() throws {
        let scratch = ScratchDirectory()
        let lease = try Lease.acquire(in: scratch.path, leaseSeconds: 3)
        usleep(7_000_000)  // more than two leases, no call from the "run"
        try lease.check()
        #expect(throws: LeaseError.self) { _ = try Lease.acquire(in: scratch.path, leaseSeconds: 3, renewing: false) }
        lease.release()
        let json = try JSON.parse(DurableFiles.read(lease.path))
        #expect(json["released"] == .bool(true))
    }
}
