import Synchronization

/// Configuration and usage errors: the CLI maps them to exit status 2.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A one-way "stop now" signal shared between the thread that decides (a lease that was lost) and
/// the threads that must stop (a transfer in libcurl's progress callback, a pacing sleep).
public final class CancellationFlag: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    /// Raises the flag; the first reason is kept.
    public func cancel(reason: String) {
        state.withLock { if $0 == nil { $0 = reason } }
    }

    public var isCancelled: Bool { state.withLock { $0 != nil } }
    public var reason: String? { state.withLock { $0 } }
}
