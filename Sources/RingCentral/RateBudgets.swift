import RinglogSupport
import Synchronization

/// RingCentral counts its usage plan per user and app ("Rate limits": the limits apply per user, per
/// app). Two logins of one user through one app — two tenants given the same account's credentials, or
/// a mailbox login that is another tenant's main login — spend one budget, so tenants synced at once
/// must be paced by one governor: each with its own would send twice the budget and earn 429s (whose
/// penalty any request inside restarts). A process keeps one governor per budget here.
public final class RateBudgets: Sendable {
    /// The budget a login spends: the server, the app, and the user the JWT acts for.
    public struct Key: Hashable, Sendable {
        let server: String
        let clientId: String
        /// The JWT's `sub` claim (the user's extension id) when its payload reads as JSON; else the JWT
        /// itself, so the same credentials still share. Never printed (no description).
        let user: String
    }

    private let governors = Mutex<[Key: RateGovernor]>([:])
    private let makeGovernor: @Sendable () -> RateGovernor

    public init(makeGovernor: @escaping @Sendable () -> RateGovernor = { RateGovernor() }) {
        self.makeGovernor = makeGovernor
    }

    /// The governor of the budget `credentials` spend: the same one for every login of that user and app.
    public func governor(for credentials: RingCentralCredentials) -> RateGovernor {
        let key = Self.key(for: credentials)
        return governors.withLock { governors in
            if let governor = governors[key] { return governor }
            let governor = makeGovernor()
            governors[key] = governor
            return governor
        }
    }

    public static func key(for credentials: RingCentralCredentials) -> Key {
        var server = credentials.serverURL.lowercased()
        while server.hasSuffix("/") { server.removeLast() }
        return Key(server: server, clientId: credentials.clientId, user: subject(ofJWT: credentials.jwt) ?? credentials.jwt)
    }

    /// The `sub` claim of a JWT (header.payload.signature, base64url without padding), unverified:
    /// it only groups logins, it grants nothing.
    static func subject(ofJWT jwt: String) -> String? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        guard let bytes = Base64.decode(String(parts[1])), let claims = try? JSON.parse(bytes) else { return nil }
        switch claims["sub"] {
        case .string(let sub) where !sub.isEmpty: return sub
        case .number(let sub): return sub
        default: return nil
        }
    }
}
