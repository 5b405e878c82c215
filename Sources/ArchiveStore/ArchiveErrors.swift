#if canImport(Glibc)
import Glibc
#endif

/// Errors that stop a whole run rather than one item: the disk, the lease or a control file is the
/// problem, so continuing would only turn every following item into a failure (and, worse, count
/// RingCentral attempts against items that RingCentral served correctly).
public protocol RunFatalError: Error, CustomStringConvertible {}

/// A failed local file-system operation, naming the path and the reason in plain words. Always run
/// fatal (exit 1): a full disk, a quota, a read-only or failing share is never an item's fault.
public struct ArchiveIOError: RunFatalError, Sendable {
    public let operation: String
    public let path: String
    public let code: Int32

    public init(_ operation: String, _ path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(operation) \(path): \(Self.plainReason(code))"
    }

    /// "disk full" rather than "curl 23": the words an admin acts on, then the system's own.
    public static func plainReason(_ code: Int32) -> String {
        let system = String(cString: strerror(code))
        switch code {
        case ENOSPC: return "disk full (\(system))"
        case EDQUOT: return "disk quota exceeded (\(system))"
        case EROFS: return "file system is read-only (\(system))"
        case EIO: return "I/O error on the disk or share (\(system))"
        case EACCES, EPERM: return "permission denied (\(system))"
        default: return system
        }
    }
}

/// A control file (root or tenant marker, registry, state, pending queue) that is malformed or of a
/// layout version this ringlog does not implement. Run fatal with exit 2: guessing would corrupt it.
public struct ControlFileError: RunFatalError, Sendable {
    public let path: String
    public let reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// A sidecar that cannot be used: unreadable, not valid JSON, not a sidecar, or of an unknown layout
/// version. Fails that item only; the file is left exactly as it is.
public struct SidecarError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "sidecar \(path): \(reason); left untouched" }
}

/// A file at a media name that ringlog cannot adopt (not a regular file: a symlink, a device).
/// Fails that item only; the file is left as it is.
public struct MediaFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public init(_ path: String) { self.path = path }
    public var description: String { "\(path) is not a regular file (a symlink or a device in the tree?); left as it is" }
}
