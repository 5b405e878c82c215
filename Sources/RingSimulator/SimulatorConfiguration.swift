import RinglogSupport

/// Everything that shapes a simulated RingCentral: the data (a pure function of `seed` and the
/// sizes), the clock, the rate limits and the faults.
public struct SimulatorConfiguration: Sendable {
    public var seed: UInt64 = 1
    public var accounts = 1
    /// User extensions per account; each account also gets two departments and one extension
    /// without an extension number.
    public var usersPerAccount = 6
    /// Days of history before the start instant.
    public var days = 7
    /// Days of future calls that arrive as the clock runs.
    public var futureDays = 3
    public var callsPerDay = 40
    /// The simulated "now" when the simulator starts; nil means the wall clock at start,
    /// truncated to the minute.
    public var startTime: Timestamp?
    /// Simulated seconds per real second (1 = real time). `POST /__sim/advance` moves it further.
    public var clockSpeed = 1.0
    /// Shrinks rate-limit windows and penalties K-fold (60 s becomes 60/K s).
    public var timeScale = 1.0
    public var accessTokenLifetimeSeconds = 3600
    /// Every content request is answered by a 302 to a media URL, as a media host would.
    public var mediaRedirect = true
    /// Everything on `http://127.0.0.1:PORT` (the simulator's old form) instead of the API on
    /// `platform.<hostDomain>:PORT` and media on `media.<hostDomain>:PORT` (see `SimulatorURLs`).
    public var singleHost = false
    /// The domain under which the API and media hosts are named; must end in `.localhost` so that
    /// libcurl resolves it to loopback without DNS.
    public var hostDomain = "sim.localhost"
    public var faults = FaultSettings()
    public var callShapes = CallShapes()
    /// Whether call-log ISync re-sends a record that changed (recording attached, result finalised)
    /// or only returns records new since the token. The guide documents ISync as returning "new
    /// records"; re-sending is undocumented, so an archiver must not depend on it.
    public var isyncUpdates = ISyncUpdates.none
    /// Per-group limits and windows (RingCentral's defaults unless customised).
    public var rateLimits = RateLimits()
    /// Pairs of User extensions per account that share one extension number (as many as the users
    /// allow; the owner never shares).
    public var sharedExtensionNumberPairs = 1
    /// Call-log FSync refuses a `dateFrom` older than this many days before now (0: no limit). The
    /// 2025 spec: "The range is limited to the last 30 days from the current moment"; without
    /// `dateFrom` there is no limit.
    public var fsyncMaxDays = 30
    /// Whose voicemail the admin's login may read (other users' logins only ever read their own).
    public var mailboxAccess = MailboxAccess.all
    /// SMS, MMS, pager and fax traffic beside the voicemail, with the shapes and changes over time
    /// RingCentral's message store shows.
    public var messages = MessageMix()
    /// RingSense insights for a share of the recordings, and which accounts hold no RingSense licence.
    public var ringSense = RingSenseSettings()

    public init() {}
}

/// What each mailbox holds besides voicemail. Chances are per User extension per day (of history and
/// future days); decided by generators of their own, so they never shift the calls or voicemails.
public struct MessageMix: Sendable, Equatable {
    /// The kinds generated beside voicemail (voicemail always comes from the calls).
    public var kinds: Set<GeneratedMessageKind> = Set(GeneratedMessageKind.allCases)
    /// A new SMS conversation (2-8 messages both ways with one outside number).
    public var smsConversationChance = 0.45
    /// An inbound or outbound MMS (images, now and then a video).
    public var mmsChance = 0.25
    /// A pager message to another user (in both mailboxes) or to a department.
    public var pagerChance = 0.3
    /// A fax, inbound or outbound; departments and fax-only extensions receive faxes too.
    public var faxChance = 0.2
    /// Of attachments other than voicemail audio: the older shape with `contentType` and no `type`.
    public var untypedAttachmentShare = 0.1
    /// Of voicemails: the audio attachment without `type` (only `contentType`, e.g. `audio/x-wav`).
    public var untypedVoicemailAudioShare = 0.1
    /// Of messages: one more attachment of a type the spec does not list (`SomethingNew`, a vCard).
    public var unknownAttachmentTypeShare = 0.03
    /// Of SMS, MMS, pager and fax messages: moved to `Deleted` some time after creation.
    public var deletedShare = 0.1
    /// Of deleted messages: `Purged` (attachments gone) some time later.
    public var purgedShareOfDeleted = 0.5
    /// Of voicemails: read (and now and then unread again), deleted, purged over time, as other
    /// messages. 0 by default: a voicemail purged before a first sync leaves nothing to fetch.
    public var voicemailChangeShare = 0.0
    /// Extensions of type `FaxUser` per account (fax-only, inbound and outbound faxes). 0 by default:
    /// an account's extension list is otherwise unchanged from before messages were simulated.
    public var faxUsers = 0
    /// Of faxes (not of departments): a call-log record of type `Fax` (action Incoming/Outgoing Fax)
    /// whose `message` links the fax, as RingCentral lists faxes since API 1.0.32. 0 by default: it
    /// adds call records (and call counts) to an account's call log.
    public var faxCallLogShare = 0.0

    public init() {}

    /// `sms,mms,pager,fax` or `none`.
    public static func kinds(parsing text: String) throws(SimulatorInputError) -> Set<GeneratedMessageKind> {
        if text == "none" { return [] }
        var kinds = Set<GeneratedMessageKind>()
        for item in text.split(separator: ",") {
            guard let kind = GeneratedMessageKind(rawValue: item.trimmingSpaces) else {
                throw SimulatorInputError("message kind \(item): expected sms, mms, pager, fax (comma-separated) or none")
            }
            kinds.insert(kind)
        }
        return kinds
    }
}

public enum GeneratedMessageKind: String, Sendable, CaseIterable {
    case sms, mms, pager, fax
}

/// RingSense (AI conversation insights): `GET /ai/ringsense/v1/public/accounts/~/domains/pbx/records/
/// {recordingId}/insights` answers for a share of the recordings, some time after the recording is
/// ready, and some are revised later.
public struct RingSenseSettings: Sendable, Equatable {
    /// Of recordings owned by a user: insights exist.
    public var insightsShare = 0.3
    /// Of insights: a first version (AI Notes: transcript and call notes) revised later into the full set.
    public var revisedShare = 0.4
    /// Account indexes (0-based) without the RingSense licence: every insights request answers 403.
    public var unlicensedAccounts: Set<Int> = []
    /// Every account unlicensed (`--ringsense unlicensed`).
    public var allUnlicensed = false

    public init() {}

    func licensed(_ accountIndex: Int) -> Bool { !allUnlicensed && !unlicensedAccounts.contains(accountIndex) }
}

extension Substring {
    var trimmingSpaces: String { String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

public enum MailboxAccess: String, Sendable, CaseIterable {
    /// The admin's login reads every mailbox of the account.
    case all
    /// Every login reads only its own mailbox: another extension's message-store, message-sync, single
    /// messages and attachment content answer 403 CMN-404 "Attempt to access another extension".
    /// RingCentral's own Archiver archives voicemail only for "Only Your Extension" (peers-and-lessons A1).
    case owner
}

public enum ISyncUpdates: String, Sendable, CaseIterable {
    /// Every record created or changed since the token.
    case all
    /// Only records visible for the first time since the token; a record is never re-sent because
    /// its recording appeared or its result was finalised (the list API still shows those changes).
    case none
}

/// Shares (0...1) of calls given each Detailed-view shape that real RingCentral payloads show (see
/// `RecordingPlacement`, `TransferPart`). Decided per call from the seed.
public struct CallShapes: Sendable, Equatable {
    /// Of recorded calls: the recording only on a non-master leg, none on the record.
    public var recordingOnNonMasterLegShare = 0.15
    /// Of recorded calls: the same recording on the record and every leg.
    public var recordingOnEveryLegShare = 0.15
    /// Of recorded, accepted inbound calls of 60 s or more: transferred to 1-2 more extensions, one
    /// record per extension, all sharing `telephonySessionId` and `sessionId`, each with its own recording.
    public var transferShare = 0.08
    /// Of calls that belong to an extension: `extension` only on the legs.
    public var extensionOnLegsOnlyShare = 0.1
    /// Of recorded calls of a user: an internal call listed as two records (caller's and callee's)
    /// that reference the one recording. Off by default until ringlog stores a shared recording once.
    public var internalCallShare = 0.05

    public init() {}
}

/// Shares (0...1) of API requests that get each fault. Applied after rate-limit accounting, so a
/// faulted request still counts against its group, as on the real service.
public struct FaultSettings: Sendable, Equatable {
    public var serverErrorShare = 0.0
    public var connectionResetShare = 0.0
    public var truncatedBodyShare = 0.0
    public var slowShare = 0.0
    public var slowSeconds = 5.0
    /// The request's access token is invalidated and the request answered 401.
    public var tokenInvalidationShare = 0.0
    /// A 429 with a penalty, as if another client had spent the group's budget.
    public var burst429Share = 0.0
    /// A login invalidates the access tokens the same user already holds with the same app, as when
    /// another process logs in with the same credentials; their next use answers 401 OAU-213.
    public var loginInvalidatesPreviousShare = 0.0

    public init() {}

    /// Reads `{"serverErrorShare": 0.1, ...}`; unknown keys are an error so a typo cannot pass silently.
    public init(json: JSON) throws(SimulatorInputError) {
        guard let object = json.objectValue else { throw SimulatorInputError("faults must be a JSON object") }
        for key in object.keys {
            guard let value = object[key]?.doubleValue, value >= 0 else {
                throw SimulatorInputError("fault \(key) must be a non-negative number")
            }
            switch key {
            case "serverErrorShare": serverErrorShare = value
            case "connectionResetShare": connectionResetShare = value
            case "truncatedBodyShare": truncatedBodyShare = value
            case "slowShare": slowShare = value
            case "slowSeconds": slowSeconds = value
            case "tokenInvalidationShare": tokenInvalidationShare = value
            case "burst429Share": burst429Share = value
            case "loginInvalidatesPreviousShare": loginInvalidatesPreviousShare = value
            default: throw SimulatorInputError("unknown fault \(key)")
            }
        }
    }

    public var json: JSON {
        [
            "serverErrorShare": .number(String(serverErrorShare)),
            "connectionResetShare": .number(String(connectionResetShare)),
            "truncatedBodyShare": .number(String(truncatedBodyShare)),
            "slowShare": .number(String(slowShare)),
            "slowSeconds": .number(String(slowSeconds)),
            "tokenInvalidationShare": .number(String(tokenInvalidationShare)),
            "burst429Share": .number(String(burst429Share)),
            "loginInvalidatesPreviousShare": .number(String(loginInvalidatesPreviousShare)),
        ]
    }
}

public struct SimulatorInputError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
