import ArchiveStore
import RinglogSupport

/// What every pass is given besides its inputs: the clock, who runs it, the lease length, and the
/// crash-injection seam the tests use. The CLI fills it from the environment; tests set it.
public struct PassContext {
    public var now: Timestamp
    /// `user@host`, for the audit log and the events of holds and exclusions.
    public var actor: String
    public var leaseSeconds: Double
    /// Called before each durable removal step (see `TenantWriter.beforeRemovalStep`).
    public var beforeRemovalStep: ((Int, String) throws -> Void)?

    public init(now: Timestamp = Timestamp.now(), actor: String = currentActor(), leaseSeconds: Double = 600) {
        self.now = now
        self.actor = actor
        self.leaseSeconds = leaseSeconds
    }

    /// Takes the tenant's lease (exit 5 while a sync or another pass holds it) for `body`.
    func withWriter<T>(_ store: TenantStore, runId: String? = nil, _ body: (TenantWriter) throws -> T) throws -> T {
        let writer = try store.openWriter(leaseSeconds: leaseSeconds, runId: runId)
        defer { writer.close() }
        writer.runId = runId ?? ""
        writer.beforeRemovalStep = beforeRemovalStep
        let result = try body(writer)
        try writer.check()
        return result
    }
}

/// What a pass did or would do: lines for people, JSON for scripts, and how it ended.
public struct PassReport: Sendable {
    public enum Outcome: Sendable, Equatable {
        case done
        /// Finished, but something was left that needs a person (an unreadable sidecar, a held item).
        case partial
        /// A guard stopped it before it changed anything (exit 2).
        case refused
    }

    public var outcome: Outcome = .done
    public var lines: [String] = []
    public var json = JSONObject()

    public init() {}

    mutating func say(_ line: String) { lines.append(line) }
}

/// Free text that goes into the tree (reasons, labels) must not carry a phone number: the tree is
/// copied to backups and auditors, and an excluded number must never be in it in clear.
func refusePhoneNumbers(in text: String, field: String) throws(ConfigurationError) {
    var run = 0, longest = 0
    for character in text {
        if character.isNumber && character.isASCII { run += 1; longest = max(longest, run) }
        else if !" .-()/".contains(character) { run = 0 }
    }
    if longest >= 7 {
        throw ConfigurationError("\(field) contains what looks like a phone number (\(longest) digits); the tree keeps no phone number "
                                 + "in clear, so describe it without the digits")
    }
}
