import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// A per-tenant lease that works on NFS and SMB, where flock/fcntl locks are unreliable: the lock is
/// a file created with O_EXCL (atomic on both) naming its holder and when the lease expires. A lease
/// past its expiry is stale (its holder crashed) and is taken over by renaming it away first, which
/// only one contender can win. A long run renews its lease as it goes.
public final class LeaseLock: Sendable {
    public struct Held: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let holder: String
        public let expiresAt: String
        public var description: String {
            "another ringlog run holds \(path) (\(holder), lease until \(expiresAt)); wait for it to finish, or remove the file if that host is gone"
        }
    }

    public let path: String
    public let leaseSeconds: Double
    private let holder: String

    private init(path: String, leaseSeconds: Double, holder: String) {
        self.path = path
        self.leaseSeconds = leaseSeconds
        self.holder = holder
    }

    public static func currentHolder() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let host = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return "\(host):\(getpid())"
    }

    /// Takes the lease or throws `Held` at once (never waits).
    public static func acquire(path: String, leaseSeconds: Double = 600) throws -> LeaseLock {
        let holder = currentHolder()
        for _ in 0..<3 {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 {
                let lock = LeaseLock(path: path, leaseSeconds: leaseSeconds, holder: holder)
                do {
                    try DurableFiles.writeAll(descriptor, lock.content(), path: path)
                    _ = fsync(descriptor)
                    close(descriptor)
                    try DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: path))
                } catch {
                    close(descriptor)
                    unlink(path)
                    throw error
                }
                return lock
            }
            guard errno == EEXIST else { throw ArchiveIOError("create lock", path) }
            let existing = (try? JSON.parse(DurableFiles.read(path))) ?? .null
            let expires = existing["expiresAt"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
            // An unreadable lock (a crash between create and write) is stale once it is a lease old.
            let age = DurableFiles.ageSeconds(path) ?? 0
            let holderName = existing["holder"]?.stringValue ?? ""
            let stale = expires.map { $0 < Timestamp.now() } ?? (age > leaseSeconds) || holderIsDeadLocally(holderName)
            guard stale else {
                throw Held(path: path, holder: existing["holder"]?.stringValue ?? "unknown", expiresAt: expires?.iso8601 ?? "unknown")
            }
            // Rename, don't unlink: if two contenders see the same stale lease, only one rename succeeds.
            let graveyard = path + ".stale-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            if rename(path, graveyard) == 0 { unlink(graveyard) }
        }
        throw Held(path: path, holder: "unknown", expiresAt: "unknown")
    }

    /// A holder on this very host whose process is gone crashed: its lease is stale at once. (Holders
    /// on other hosts sharing the archive can only be judged by their expiry.)
    static func holderIsDeadLocally(_ holder: String) -> Bool {
        guard let colon = holder.lastIndex(of: ":"), let pid = Int32(holder[holder.index(after: colon)...]) else { return false }
        let host = String(currentHolder().split(separator: ":").dropLast().joined(separator: ":"))
        guard String(holder[..<colon]) == host, pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    private func content() -> [UInt8] {
        let now = Timestamp.now()
        let json: JSON = [
            "holder": .string(holder), "acquiredAt": .string(now.iso8601),
            "expiresAt": .string(now.adding(seconds: leaseSeconds).iso8601),
        ]
        return json.serializedBytes() + [0x0A]
    }

    /// Extends the lease; call it during long runs, well before it expires.
    public func renew() throws {
        try DurableFiles.writeAtomically(path, content(), onlyIfChanged: false)
    }

    public func release() {
        unlink(path)
        try? DurableFiles.syncDirectory(DurableFiles.parentDirectory(of: path))
    }
}

extension DurableFiles {
    static func ageSeconds(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Double(time(nil) - info.st_mtim.tv_sec)
    }
}
