import ArgumentParser
import Foundation
import RingSimulator
import RinglogSupport

extension ISyncUpdates: ExpressibleByArgument {}
extension MailboxAccess: ExpressibleByArgument {}

enum RingSenseLicence: String, ExpressibleByArgument, CaseIterable {
    case licensed, unlicensed
}

@main
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringlog-simulator",
        abstract: "A RingCentral-faithful API simulator for testing ringlog on loopback.",
        discussion: """
            Serves RingCentral's real paths, payload shapes, paging, sync tokens,
            error bodies and rate-limit groups on 127.0.0.1. Everything it
            generates is a pure function of --seed and the size options.

            Hosts: like RingCentral (platform.ringcentral.com for the API,
            media.ringcentral.com:443 in every contentUri), the API is named
            http://platform.sim.localhost:PORT and media (recording contentUri,
            voicemail attachment uri, content redirects)
            http://media.sim.localhost:PORT, port written out. Both are the one
            socket on 127.0.0.1: libcurl (and curl) resolve any *.localhost name
            to loopback; tools that cannot (python's urllib) use loopbackUrl,
            which serves the same paths. --single-host puts everything on
            http://127.0.0.1:PORT instead. Content paths also answer on the
            API host, but their 302 goes to the media host, where libcurl no
            longer sends an Authorization header it was given for the API
            host: use each contentUri as given.

            Once listening it prints one JSON line on stdout:
              {"url": "http://platform.sim.localhost:PORT",
               "mediaUrl": "http://media.sim.localhost:PORT",
               "loopbackUrl": "http://127.0.0.1:PORT", "seed": N, "timeScale": K,
               "accounts": [{"accountId", "clientId", "clientSecret", "jwt",
                             "ownerExtensionId",
                             "extensionJwts": {"<extensionId>": "<jwt>", ...}},
                            ...]}
            jwt logs in as the owner (the account's admin); each extensionJwts
            entry (every User extension, the owner's being jwt) logs in as that
            user with the same clientId/secret. A login is its user: `~` in
            paths, its own mailbox, and a rate-limit budget of its own (limits
            count per app and user).

            Mailboxes (--mailbox-access): a user's login reads only its own
            voicemail; the admin's reads every mailbox with 'all', only its own
            with 'owner'. Another extension's message-store, message-sync,
            single message or attachment content answers 403:
              {"errorCode":"CMN-404","message":"Attempt to access another
               extension","errors":[{"errorCode":"CMN-404","message":...}]}
            The company call log (call-log, call-log/{id}, call-log-sync at
            account level) needs FullCompanyCallLog, which only the admin
            holds: other users get 403 CMN-408 "In order to call this API
            endpoint, user needs to have [FullCompanyCallLog] permission for
            requested resource." (with permissionName). Extension list and
            info, account info and recordings answer every user.

            Call shapes (Detailed view, as RingCentral's own payloads show them;
            decided per call from the seed, shares settable below):
              --leg-only-recordings   the recording only on a non-master leg: no
                                      `recording` on the record or its master leg,
                                      in either view (Simple is the record
                                      without its legs)
              --every-leg-recordings  the same recording object on the record
                                      and on every leg
              --transfers             2-3 records (distinct ids) sharing one
                                      telephonySessionId and sessionId, one per
                                      extension the call went to, each with a
                                      recording of its own
              --legs-only-extensions  `extension` {id, uri} only on the legs
              --internal-calls        (default 0.05) a user-to-user call listed as
                                      the caller's and the callee's record, both
                                      referencing one recording
            /__sim/truth lists every call record (with its recordingIds) and
            each distinct recording once, with the callIds of every record that
            references it (callId: the first of them).

            Call-log ISync (--isync-updates): the guide documents ISync as
            returning "new records"; whether a record is sent again when its
            recording is attached or its result finalised is not documented.
              all   every record created or changed since the token
              none  (the default: what is documented) only records that
                    became visible since the token; the
                    list API (call-log) still shows every record as it is now,
                    so an archiver must re-list a trailing window to see late
                    recordings and final results

            Rate limits count per app and user, in RingCentral's groups (Heavy
            10, Medium 40, Light 50, Auth 5 requests per 60 s; penalty = window)
            unless --rate-limits customises them; X-Rate-Limit-Limit and
            -Window follow, and --time-scale shrinks every window.

            Error shapes. By default: bad client id or secret 400
            {"error":"invalid_client","errors":[{"errorCode":"OAU-153",
            "message":"Invalid client: ID","parameters":[{"parameterName":
            "client_id","parameterValue":"ID"}]}],"error_description":...};
            bad JWT 400 invalid_grant OAU-140 (with errors[]); a revoked or
            superseded token 401 OAU-213 "Token not found"; an expired one 401
            OAU-128. One-shot variants, for the next N requests whose path
            contains TEXT (default /restapi/oauth/token for the two OAuth
            kinds, /restapi/v1.0/ otherwise):
              POST /__sim/next-error?kind=K[&count=N][&path=TEXT][&permission=P]
              invalid-client             400 OAU-153 as above
              invalid-grant              400 {"error":"invalid_grant",
                                         "error_description":"Invalid resource
                                         owner credentials."}, no errors[]
              app-permission             403 {"errorCode":"InsufficientPermissions",
                                         ... CMN-401 ..., "permissionName":P}
                                         (P default ReadCallRecording)
              user-permission            403 CMN-408 "user needs to have [P]
                                         permission" (default FullCompanyCallLog)
              another-extension          403 CMN-404
              rate-limit-without-window  429 CMN-301 without X-Rate-Limit-Window
                                         or Retry-After (no penalty started)
              rate-limit-bare            429 CMN-310 "Global request rate
                                         exceeded" without any X-Rate-Limit-*
                                         header or Retry-After (no penalty)
              token-not-found            401 OAU-213; the token stays dead
              none                       clears the queue
            --logins-invalidate-previous makes a share of logins end the same
            user's earlier tokens (another process logged in): OAU-213.

            Extension numbers (--shared-extension-numbers N, default 1): in N
            pairs of users per account (never the owner) both carry the same
            extensionNumber, as a real fixture shows; extension list, call
            parties, voicemail `to` and /__sim/truth all show it, so an
            archiver must not key folders by number alone.

            FSync dateFrom (--fsync-max-days, default 30): the 2025 spec limits
            call-log-sync dateFrom to "the last 30 days from the current moment";
            an older one answers 400 {"errorCode":"CMN-101","message":
            "Parameter [dateFrom] value is invalid","errors":[{...,
            "parameterName":"dateFrom","parameterValue":...}]} (the spec names
            no code: CMN-101 is a guess). Without dateFrom FSync has no limit.

            Messages (message-store list, message-sync, single message,
            attachment content): per mailbox, beside the voicemail of the calls,
            --messages KINDS (default sms,mms,pager,fax; none for voicemail only):
              sms    conversations (conversationId and conversation {id, uri})
                     with outside E.164 numbers, both ways; subject = the text
                     and a Text attachment (text/plain); outbound Queued, Sent,
                     then Delivered (smsDeliveryTime) or DeliveryFailed
              mms    type SMS with MmsAttachment images (image/jpeg, image/png,
                     image/gif) or a video (video/mp4; one per account at least)
              pager  between extensions by extensionNumber, one copy in each
                     mailbox (to a department: the sender's, pgToDepartment)
              fax    inbound Received with a RenderedDocument (application/pdf or
                     image/tiff, faxPageCount pages, faxResolution High/Low);
                     outbound SourceDocument(s) + RenderedDocument, coverIndex,
                     coverPageText, Queued then Sent/Delivered/DeliveryFailed or
                     SendingFailed (faxErrorCode on the recipient); departments
                     and --fax-users N FaxUser extensions receive faxes;
                     --fax-call-records (0) of them also get a call-log record
                     of type Fax (Incoming/Outgoing Fax) whose message links it
            Older shapes: --untyped-attachments (default 0.1 of attachments) and
            --untyped-voicemail-audio (0.1 of voicemails) carry contentType and
            no type; --unknown-attachment-types (0.03 of messages) adds a
            type "SomethingNew" (text/vcard) attachment. Over time inbound
            messages turn Read (some Unread again), statuses move on, and
            --deleted-messages (0.1) become Deleted, --purged-of-deleted (0.5 of
            those) Purged later (attachments gone: content 404);
            --voicemail-changes (0) does the same to voicemails. Filters per
            spec: messageType, direction, readStatus, availability (default
            Alive and Deleted), conversationId, dateFrom/dateTo, paging;
            message-sync ISync re-sends every message changed since the token,
            deleted and purged ones as {id, availability} only.

            RingSense: GET /ai/ringsense/v1/public/accounts/~/domains/pbx/records/
            {recordingId}/insights (Light) answers RecordingInsights for
            --insights-share (0.3) of user-owned recordings, 10 min to 6 h after
            the recording is ready (404 before); --insights-revised (0.4) of them
            first hold AI Notes (Transcript, CallNotes) and are revised into the
            full set 1 h to 2 days later; insightTypes=Summary,NextSteps
            narrows the body; .../sessions/{telephonySessionId}/insights lists
            a session's. --ringsense unlicensed (or --unlicensed-accounts 0,2)
            answers 403 CMN-401 [RingSense] (InsufficientPermissions, as the
            guide's app-permission 403; for a missing licence the shape is a
            guess); a user other than the admin gets 403 CMN-408
            [ReadCompanyCallRecording].

            Truth (/__sim/truth items): kinds call, recording, voicemail,
            transcription as before (voicemail attachments typed or not, left
            out once the voicemail is purged); message (every message that
            exists now: ids, type, direction, statuses, availability,
            deletedAt, purgedAt, attachments with type (null if none),
            contentType, sha256, size, served); insight (recordingId,
            revision, finalRevision, sha256 and size of the body as served
            now, licensed accounts only); top-level accounts
            [{accountId, ringSenseLicensed}].

            Simulator-only endpoints:
              GET  /__sim/truth[?account=ID]  items an archiver should hold now
              GET  /__sim/stats               requests per group, 429s, requests
                                              received inside a penalty
              GET  /__sim/clock               the simulated now
              GET  /__sim/recordings          when each recording appears and
                                              when its content is ready
              POST /__sim/advance?seconds=N   move the simulated clock forward
              POST /__sim/expire-sync-tokens  every sync token becomes invalid
              POST /__sim/faults              set fault shares (JSON body)
              POST /__sim/next-error?kind=K   a one-shot error variant (above)

            Examples:
              ringlog-simulator --port 0 --seed 7 --days 14 --time-scale 60
              ringlog-simulator --port 0 --isync-updates none \\
                  --mailbox-access owner --rate-limits heavy=20,auth=200
            """)

    @Option(help: "TCP port on 127.0.0.1 (0 picks a free one).") var port: UInt16 = 0
    @Option(help: "Seed for all generated data.") var seed: UInt64 = 1
    @Option(help: "Number of simulated accounts (tenants).") var accounts = 1
    @Option(help: "User extensions per account (plus two departments and one extension without a number).") var users = 6
    @Option(help: "Days of call history before the start instant.") var days = 7
    @Option(help: "Days of future calls that arrive while the clock runs.") var futureDays = 3
    @Option(help: "Average calls per weekday per account.") var callsPerDay = 40
    @Option(help: "Simulated start instant (ISO 8601); default: now, truncated to the minute.") var startTime: String?
    @Option(help: "Simulated seconds per real second.") var clockSpeed = 1.0
    @Option(help: "Shrink rate-limit windows and penalties K-fold (60 s becomes 60/K s).") var timeScale = 1.0
    @Option(help: "Access-token lifetime in seconds (expires_in).") var tokenLifetime = 3600
    @Flag(help: "Serve media directly instead of redirecting to /__media/.") var noMediaRedirect = false
    @Flag(help: "Everything on http://127.0.0.1:PORT instead of platform./media.sim.localhost:PORT.") var singleHost = false
    @Option(help: "Call-log ISync: 'all' re-sends changed records (recording attached, result finalised); 'none' returns only records new since the token.")
    var isyncUpdates: ISyncUpdates = SimulatorConfiguration().isyncUpdates
    @Option(help: "Whose voicemail the admin's login reads: 'all' mailboxes, or only its 'owner' (others answer 403 CMN-404).")
    var mailboxAccess: MailboxAccess = SimulatorConfiguration().mailboxAccess
    @Option(help: "Call-log FSync refuses a dateFrom older than this many days (0: no limit; without dateFrom none).")
    var fsyncMaxDays = SimulatorConfiguration().fsyncMaxDays
    @Option(help: "Pairs of users per account that share one extension number (the owner never shares).")
    var sharedExtensionNumbers = SimulatorConfiguration().sharedExtensionNumberPairs
    @Option(help: "Share of API requests answered 500/503.") var serverErrors = 0.0
    @Option(help: "Share of API requests whose connection closes after the headers.") var connectionResets = 0.0
    @Option(help: "Share of API requests whose body is cut in half.") var truncatedBodies = 0.0
    @Option(help: "Share of API requests answered only after --slow-seconds.") var slowResponses = 0.0
    @Option(help: "Delay of a slow response, in seconds.") var slowSeconds = 5.0
    @Option(help: "Share of recorded calls whose recording is only on a non-master leg.") var legOnlyRecordings = 0.15
    @Option(help: "Share of recorded calls whose recording repeats on the record and every leg.") var everyLegRecordings = 0.15
    @Option(help: "Share of recorded accepted inbound calls (60 s or more) transferred: 2-3 records, one session.") var transfers = 0.08
    @Option(help: "Share of calls with an extension whose `extension` is only on the legs.") var legsOnlyExtensions = 0.1
    @Option(help: "Share of recorded user calls that are internal: two records, one recording.") var internalCalls = 0.05
    @Option(help: "Share of API requests that invalidate the access token (401).") var tokenInvalidations = 0.0
    @Option(help: "Share of logins that end the same user's earlier tokens with this app (their next use: 401 OAU-213).")
    var loginsInvalidatePrevious = 0.0
    @Option(help: "Customised limits: GROUP=REQUESTS[/WINDOW],... (e.g. heavy=20,medium=40,light=50,auth=200).")
    var rateLimits: String?
    @Option(help: "Share of API requests answered 429 with a penalty.") var bursts429 = 0.0
    @Option(help: "Message kinds beside voicemail: sms,mms,pager,fax (comma-separated) or none.") var messages = "sms,mms,pager,fax"
    @Option(help: "Share of non-voicemail attachments in the older shape without `type` (contentType only).")
    var untypedAttachments = SimulatorConfiguration().messages.untypedAttachmentShare
    @Option(help: "Share of voicemails whose audio attachment has no `type` (contentType only).")
    var untypedVoicemailAudio = SimulatorConfiguration().messages.untypedVoicemailAudioShare
    @Option(help: "Share of messages with one more attachment of a type the spec does not list (SomethingNew).")
    var unknownAttachmentTypes = SimulatorConfiguration().messages.unknownAttachmentTypeShare
    @Option(help: "Share of SMS, MMS, pager and fax messages that become Deleted some time after creation.")
    var deletedMessages = SimulatorConfiguration().messages.deletedShare
    @Option(help: "Share of deleted messages that are Purged later (attachments gone).")
    var purgedOfDeleted = SimulatorConfiguration().messages.purgedShareOfDeleted
    @Option(help: "Share of voicemails that are read, deleted and purged over time like other messages.")
    var voicemailChanges = SimulatorConfiguration().messages.voicemailChangeShare
    @Option(help: "FaxUser (fax-only) extensions per account.") var faxUsers = SimulatorConfiguration().messages.faxUsers
    @Option(help: "Share of faxes with a call-log record of type Fax whose `message` links the fax.")
    var faxCallRecords = SimulatorConfiguration().messages.faxCallLogShare
    @Option(help: "Share of user-owned recordings that get RingSense insights.") var insightsShare = SimulatorConfiguration().ringSense.insightsShare
    @Option(help: "Share of insights first published as AI Notes and revised later.")
    var insightsRevised = SimulatorConfiguration().ringSense.revisedShare
    @Option(help: "RingSense licence of every account: licensed, or unlicensed (insights answer 403).")
    var ringsense: RingSenseLicence = .licensed
    @Option(help: "Account indexes (0-based, comma-separated) without the RingSense licence.") var unlicensedAccounts: String?

    func validate() throws {
        guard accounts >= 1, users >= 1, days >= 0, futureDays >= 0, callsPerDay >= 0 else {
            throw ValidationError("--accounts and --users must be at least 1; --days, --future-days and --calls-per-day at least 0")
        }
        guard sharedExtensionNumbers >= 0 else { throw ValidationError("--shared-extension-numbers must be 0 or more") }
        guard fsyncMaxDays >= 0 else { throw ValidationError("--fsync-max-days must be 0 (no limit) or more") }
        guard timeScale > 0, clockSpeed >= 0, tokenLifetime > 0 else {
            throw ValidationError("--time-scale and --token-lifetime must be positive, --clock-speed not negative")
        }
        for (name, share) in [("--server-errors", serverErrors), ("--connection-resets", connectionResets),
                              ("--truncated-bodies", truncatedBodies), ("--slow-responses", slowResponses),
                              ("--token-invalidations", tokenInvalidations), ("--bursts429", bursts429),
                              ("--logins-invalidate-previous", loginsInvalidatePrevious),
                              ("--leg-only-recordings", legOnlyRecordings), ("--every-leg-recordings", everyLegRecordings),
                              ("--transfers", transfers), ("--legs-only-extensions", legsOnlyExtensions), ("--internal-calls", internalCalls)]
        where !(0...1).contains(share) {
            throw ValidationError("\(name) is a share between 0 and 1, got \(share)")
        }
        guard legOnlyRecordings + everyLegRecordings <= 1 else {
            throw ValidationError("--leg-only-recordings and --every-leg-recordings together cannot exceed 1")
        }
        if let rateLimits {
            do { _ = try RateLimits(parsing: rateLimits) } catch { throw ValidationError("--rate-limits: \(error.description)") }
        }
        do { _ = try MessageMix.kinds(parsing: messages) } catch { throw ValidationError("--messages: \(error.description)") }
        for (name, share) in [("--untyped-attachments", untypedAttachments), ("--untyped-voicemail-audio", untypedVoicemailAudio),
                              ("--unknown-attachment-types", unknownAttachmentTypes), ("--deleted-messages", deletedMessages),
                              ("--purged-of-deleted", purgedOfDeleted), ("--voicemail-changes", voicemailChanges),
                              ("--insights-share", insightsShare), ("--insights-revised", insightsRevised),
                              ("--fax-call-records", faxCallRecords)]
        where !(0...1).contains(share) {
            throw ValidationError("\(name) is a share between 0 and 1, got \(share)")
        }
        guard faxUsers >= 0 else { throw ValidationError("--fax-users must be 0 or more") }
        if let unlicensedAccounts, unlicensedIndexes(unlicensedAccounts) == nil {
            throw ValidationError("--unlicensed-accounts \(unlicensedAccounts): expected account indexes such as 0,2")
        }
        if let startTime, Timestamp(iso8601: startTime) == nil {
            throw ValidationError("--start-time \(startTime) is not an ISO 8601 instant (e.g. 2026-11-21T12:00:00Z)")
        }
    }

    func run() async throws {
        var configuration = SimulatorConfiguration()
        configuration.seed = seed
        configuration.accounts = accounts
        configuration.usersPerAccount = users
        configuration.days = days
        configuration.futureDays = futureDays
        configuration.callsPerDay = callsPerDay
        configuration.startTime = startTime.flatMap { Timestamp(iso8601: $0) }
        configuration.clockSpeed = clockSpeed
        configuration.timeScale = timeScale
        configuration.accessTokenLifetimeSeconds = tokenLifetime
        configuration.mediaRedirect = !noMediaRedirect
        configuration.singleHost = singleHost
        configuration.isyncUpdates = isyncUpdates
        configuration.mailboxAccess = mailboxAccess
        configuration.fsyncMaxDays = fsyncMaxDays
        configuration.sharedExtensionNumberPairs = sharedExtensionNumbers
        configuration.faults.serverErrorShare = serverErrors
        configuration.faults.connectionResetShare = connectionResets
        configuration.faults.truncatedBodyShare = truncatedBodies
        configuration.faults.slowShare = slowResponses
        configuration.faults.slowSeconds = slowSeconds
        configuration.faults.tokenInvalidationShare = tokenInvalidations
        configuration.faults.burst429Share = bursts429
        configuration.faults.loginInvalidatesPreviousShare = loginsInvalidatePrevious
        if let rateLimits { configuration.rateLimits = try RateLimits(parsing: rateLimits) }
        configuration.callShapes.recordingOnNonMasterLegShare = legOnlyRecordings
        configuration.callShapes.recordingOnEveryLegShare = everyLegRecordings
        configuration.callShapes.transferShare = transfers
        configuration.callShapes.extensionOnLegsOnlyShare = legsOnlyExtensions
        configuration.callShapes.internalCallShare = internalCalls
        configuration.messages.kinds = try MessageMix.kinds(parsing: messages)
        configuration.messages.untypedAttachmentShare = untypedAttachments
        configuration.messages.untypedVoicemailAudioShare = untypedVoicemailAudio
        configuration.messages.unknownAttachmentTypeShare = unknownAttachmentTypes
        configuration.messages.deletedShare = deletedMessages
        configuration.messages.purgedShareOfDeleted = purgedOfDeleted
        configuration.messages.voicemailChangeShare = voicemailChanges
        configuration.messages.faxUsers = faxUsers
        configuration.messages.faxCallLogShare = faxCallRecords
        configuration.ringSense.insightsShare = insightsShare
        configuration.ringSense.revisedShare = insightsRevised
        configuration.ringSense.allUnlicensed = ringsense == .unlicensed
        configuration.ringSense.unlicensedAccounts = unlicensedAccounts.flatMap(unlicensedIndexes) ?? []
        let server = try await SimulatorServer.start(configuration: configuration, port: port)
        print(server.startupLine)
        fflush(nil)  // the startup line must reach a pipe at once
        // Serve until killed.
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }
}

/// `0,2` as account indexes; nil if any item is not a non-negative integer.
func unlicensedIndexes(_ text: String) -> Set<Int>? {
    var indexes = Set<Int>()
    for item in text.split(separator: ",") {
        guard let value = Int(item.filter { $0 != " " }), value >= 0 else { return nil }
        indexes.insert(value)
    }
    return indexes
}
