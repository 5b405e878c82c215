import RinglogSupport

/// The read endpoints an archiver uses, with RingCentral's paging, defaults and errors.
extension EngineState {
    mutating func endpoint(_ route: ApiRoute, request: SimRequest, token: AccessToken) -> SimResponse {
        let accountIndex = token.accountIndex
        let account = world.accounts[accountIndex]
        let renderer = Renderer(baseURL: baseURL, mediaURL: mediaURL, account: account, now: now)
        if route.isCompanyCallLog && !account.isAdmin(token.extensionId) {
            // The account-level call log is the whole company's: readCompanyCallLog's x-user-permission
            // is FullCompanyCallLog, which only the admin holds here. The spec gives syncAccountCallLog
            // ReadCallLog, but an account-wide sync would hand every user's calls to any user, so it is
            // treated like the list.
            return .userPermissionRequired("FullCompanyCallLog")
        }
        switch route.endpoint {
        case .accountInfo:
            return .json(200, renderer.accountInfo())
        case .extensionList:
            return paged(request, records: account.extensions.map(renderer.extensionRecord), defaultPerPage: 100,
                         withTotals: true, path: renderer.accountPath + "/extension")
        case .extensionInfo(let id):
            guard let ext = account.extensions.first(where: { $0.id == id || (id == "~" && $0.id == token.extensionId) }) else {
                return notFound("extensionId", id)
            }
            return .json(200, renderer.extensionRecord(ext))
        case .callLog:
            return callLogList(request, account: account, renderer: renderer)
        case .callLogRecord(let id):
            guard let position = account.callsById[id], let record = renderer.callRecord(account.calls[position], detailed: request.parameter("view") == "Detailed") else {
                return notFound("callRecordId", id)
            }
            return .json(200, record)
        case .callLogSync:
            return callLogSync(request, accountIndex: accountIndex, renderer: renderer)
        case .recording(let id):
            guard let recording = visibleRecording(account, id) else { return notFound("recordingId", id) }
            return .json(200, [
                "id": .string(id),
                "contentUri": .string(renderer.recordingContentURI(id)),
                "contentType": .string(recording.contentType), "duration": .int(recording.seconds),
            ])
        case .recordingContent(let id):
            guard let recording = visibleRecording(account, id), recording.readyAt <= now else {
                return notFound("recordingId", id)  // RingCentral answers 404 until the media is ready
            }
            return mediaResponse(kind: "recording", accountIndex: accountIndex, id: id, contentType: recording.contentType) {
                recording.bytes
            }
        case .messageList(let extensionId):
            guard let ext = resolveExtension(account, extensionId, token: token) else { return notFound("extensionId", extensionId) }
            guard mayReadMailbox(ext, token: token) else { return .anotherExtension() }
            return messageList(request, account: account, extensionId: ext, renderer: renderer)
        case .message(let extensionId, let messageId):
            guard let ext = resolveExtension(account, extensionId, token: token) else { return notFound("extensionId", extensionId) }
            guard mayReadMailbox(ext, token: token) else { return .anotherExtension() }
            guard let message = visibleMessage(account, ext, messageId),
                case .object(var record) = renderer.messageRecord(message)
            else { return notFound("messageId", messageId) }
            // The single-message read (GetSingleMessageInfoResponse) also lists every recipient.
            record["vmSideRecipients"] = record["to"]
            return .json(200, .object(record))
        case .messageContent(let extensionId, let messageId, let attachmentId):
            guard let ext = resolveExtension(account, extensionId, token: token) else { return notFound("extensionId", extensionId) }
            guard mayReadMailbox(ext, token: token) else { return .anotherExtension() }
            guard let message = visibleMessage(account, ext, messageId) else {
                return notFound("messageId", messageId)
            }
            // Purged: "all attachments are already deleted" [SPEC MessageAvailabilityEnum].
            guard let attachment = message.attachments(at: now).first(where: { $0.id == attachmentId }) else {
                return notFound("attachmentId", attachmentId)
            }
            return mediaResponse(kind: "attachment", accountIndex: accountIndex, id: "\(messageId).\(attachmentId)",
                                 contentType: attachment.contentType) { attachment.bytes }
        case .insights(let domain, let id, let session):
            return insightsEndpoint(domain: domain, id: id, session: session, request: request, token: token)
        case .messageSync(let extensionId):
            guard let ext = resolveExtension(account, extensionId, token: token) else { return notFound("extensionId", extensionId) }
            guard mayReadMailbox(ext, token: token) else { return .anotherExtension() }
            return messageSync(request, accountIndex: accountIndex, extensionId: ext, renderer: renderer)
        }
    }

    func notFound(_ parameter: String, _ value: String) -> SimResponse {
        .apiError(404, code: "CMN-102", message: "Resource for parameter [\(parameter)] is not found",
                  parameterName: parameter, parameterValue: value)
    }

    func invalid(_ parameter: String, _ value: String, detail: String? = nil) -> SimResponse {
        .apiError(400, code: "CMN-101", message: "Parameter [\(parameter)] value is invalid" + (detail.map { " [\($0)]" } ?? ""),
                  parameterName: parameter, parameterValue: value)
    }

    /// `~` is the token's own extension.
    func resolveExtension(_ account: SimAccount, _ id: String, token: AccessToken) -> String? {
        if id == "~" { return token.extensionId }
        return account.extensions.contains { $0.id == id } ? id : nil
    }

    /// A login reads its own mailbox; the admin's reads every mailbox unless `mailboxAccess` is `owner`.
    func mayReadMailbox(_ extensionId: String, token: AccessToken) -> Bool {
        extensionId == token.extensionId
            || (configuration.mailboxAccess == .all && world.accounts[token.accountIndex].isAdmin(token.extensionId))
    }

    func visibleRecording(_ account: SimAccount, _ id: String) -> SimRecording? {
        guard let position = account.callsByRecordingId[id]?.first, let recording = account.calls[position].recording,
            recording.appearsAt <= now
        else { return nil }
        return recording
    }

    func visibleMessage(_ account: SimAccount, _ extensionId: String, _ id: String) -> SimMessage? {
        guard let position = account.messagesById[id] else { return nil }
        let message = account.messages[position]
        return message.extensionId == extensionId && message.created <= now ? message : nil
    }

    /// Media straight away, or (as a media host does) a 302 to where the bytes are served, on the media host.
    func mediaResponse(kind: String, accountIndex: Int, id: String, contentType: String, bytes: () -> [UInt8]) -> SimResponse {
        if configuration.mediaRedirect {
            return SimResponse(status: 302, headers: [("Location", "\(mediaURL)/__media/\(kind)/\(accountIndex)/\(id)")])
        }
        return SimResponse(status: 200, headers: [("Content-Type", contentType)], body: bytes())
    }

    // MARK: Dates and paging

    /// An optional ISO 8601 parameter; a malformed one is RingCentral's CMN-101 naming it.
    func date(_ request: SimRequest, _ name: String) throws(SimResponseError) -> Timestamp? {
        guard let text = request.parameter(name) else { return nil }
        guard let value = Timestamp(iso8601: text) else { throw SimResponseError(response: invalid(name, text)) }
        return value
    }

    /// `dateFrom`/`dateTo` of a list request with RingCentral's defaults: `dateTo` now, `dateFrom`
    /// 24 hours before `dateTo` (which is why a client must always send `dateFrom`).
    func listRange(_ request: SimRequest) throws(SimResponseError) -> (from: Timestamp, to: Timestamp) {
        let to = try date(request, "dateTo") ?? now
        return (try date(request, "dateFrom") ?? to.adding(seconds: -86_400), to)
    }

    /// `perPage` as RingCentral reads it: 1...1000 or "max"; larger numbers are capped at 1000.
    func perPage(_ request: SimRequest, default fallback: Int) throws(SimResponseError) -> Int {
        guard let text = request.parameter("perPage") else { return fallback }
        if text == "max" { return 1000 }
        guard let value = Int(text), value >= 1 else { throw SimResponseError(response: invalid("perPage", text)) }
        return min(value, 1000)
    }

    /// One page of `records` with `navigation` and `paging`. Call-log pages omit `totalPages` and
    /// `totalElements` ("may be omitted due to performance reasons"), so clients must follow `nextPage`.
    func paged(_ request: SimRequest, records: [JSON], defaultPerPage: Int, withTotals: Bool, path: String) -> SimResponse {
        let perPage: Int
        do { perPage = try self.perPage(request, default: defaultPerPage) } catch { return error.response }
        let pageText = request.parameter("page") ?? "1"
        guard let page = Int(pageText), page >= 1 else { return invalid("page", pageText) }
        let startIndex = (page - 1) * perPage
        let slice = startIndex < records.count ? Array(records[startIndex..<min(records.count, startIndex + perPage)]) : []
        func pageURI(_ number: Int) -> JSON {
            var query = request.query.filter { $0.name != "page" && $0.name != "perPage" }
            query.append(("page", String(number)))
            query.append(("perPage", String(perPage)))
            return ["uri": .string(baseURL + path + "?" + query.map { "\(percentEncode($0.name))=\(percentEncode($0.value))" }.joined(separator: "&"))]
        }
        var navigation = JSONObject()
        navigation["firstPage"] = pageURI(1)
        if startIndex + perPage < records.count { navigation["nextPage"] = pageURI(page + 1) }
        if page > 1 { navigation["previousPage"] = pageURI(page - 1) }
        var paging = JSONObject()
        paging["page"] = .int(page)
        if withTotals {
            let totalPages = max(1, (records.count + perPage - 1) / perPage)
            paging["totalPages"] = .int(totalPages)
            navigation["lastPage"] = pageURI(totalPages)
        }
        paging["perPage"] = .int(perPage)
        if withTotals { paging["totalElements"] = .int(records.count) }
        if !slice.isEmpty {
            paging["pageStart"] = .int(startIndex)
            paging["pageEnd"] = .int(startIndex + slice.count - 1)
        }
        var query = request.query.map { "\(percentEncode($0.name))=\(percentEncode($0.value))" }.joined(separator: "&")
        if !query.isEmpty { query = "?" + query }
        return .json(200, [
            "uri": .string(baseURL + path + query), "records": .array(slice), "paging": .object(paging),
            "navigation": .object(navigation),
        ])
    }

    // MARK: Call log

    func callLogList(_ request: SimRequest, account: SimAccount, renderer: Renderer) -> SimResponse {
        let now = self.now
        let dateFrom: Timestamp, dateTo: Timestamp
        do { (dateFrom, dateTo) = try listRange(request) } catch { return error.response }
        let view = request.parameter("view") ?? "Simple"
        guard view == "Simple" || view == "Detailed" else { return invalid("view", view) }
        let directions = request.parameters("direction")
        let recordingType = request.parameter("recordingType")
        let withRecording = request.parameter("withRecording") == "true"
        let calls = account.calls.filter { call in
            call.start >= dateFrom && call.start < dateTo && call.visibleAt <= now
                && (directions.isEmpty || directions.contains(call.direction))
                && (recordingType == nil && !withRecording
                    || call.recording.map { $0.appearsAt <= now && (recordingType == nil || recordingType == "All" || recordingType == $0.type) } == true)
        }
        let records = calls.sorted { $0.start != $1.start ? $0.start > $1.start : $0.id > $1.id }
            .compactMap { renderer.callRecord($0, detailed: view == "Detailed") }
        return paged(request, records: records, defaultPerPage: 100, withTotals: false, path: renderer.accountPath + "/call-log")
    }

    mutating func callLogSync(_ request: SimRequest, accountIndex: Int, renderer: Renderer) -> SimResponse {
        let account = world.accounts[accountIndex]
        let now = self.now
        let syncType = request.parameter("syncType") ?? "FSync"
        let statusGroup = request.parameters("statusGroup")
        let missedOnly = statusGroup == ["Missed"]
        func matches(_ call: SimCall) -> Bool {
            !missedOnly || call.result == "Missed"
        }
        let view: String
        let records: [SimCall]
        switch syncType {
        case "FSync":
            view = request.parameter("view") ?? "Simple"
            guard view == "Simple" || view == "Detailed" else { return invalid("view", view) }
            guard let countText = request.parameter("recordCount") else {
                return .apiError(400, code: "CMN-100", message: "Parameter [recordCount] is mandatory", parameterName: "recordCount")
            }
            guard let count = Int(countText), (1...250).contains(count) else {
                return invalid("recordCount", countText, detail: "the maximum number of records is 250")
            }
            let requestedFrom: Timestamp?
            do { requestedFrom = try date(request, "dateFrom") } catch { return error.response }
            if let requestedFrom, configuration.fsyncMaxDays > 0,
                requestedFrom < now.adding(seconds: -86_400 * Double(configuration.fsyncMaxDays)) {
                // The spec states the limit but no error for it: CMN-101 is RingCentral's code for a
                // parameter value it refuses (a guess at the exact answer).
                return invalid("dateFrom", request.parameter("dateFrom") ?? "")
            }
            let dateFrom = requestedFrom ?? Timestamp(millisecondsSinceEpoch: 0)
            records = Array(account.calls.filter { $0.visibleAt <= now && $0.start >= dateFrom && matches($0) }
                .sorted { $0.start != $1.start ? $0.start > $1.start : $0.id > $1.id }  // newest first
                .prefix(count))
        case "ISync":
            guard let text = request.parameter("syncToken") else {
                return .apiError(400, code: "CMN-100", message: "Parameter [syncToken] is mandatory for ISync", parameterName: "syncToken")
            }
            guard let token = SyncToken(text), token.kind == "call-log", token.accountIndex == accountIndex else {
                return .apiError(400, code: "CMN-101", message: "Parameter [syncToken] is invalid", parameterName: "syncToken",
                                 parameterValue: text)
            }
            guard token.generation == syncGeneration[accountIndex] else {
                return .apiError(400, code: "CLG-101", message: "Parameter [syncToken] is invalid [Sync token expired, call log was reset]",
                                 parameterName: "syncToken")
            }
            view = token.view
            let changed = account.calls.filter { call in
                guard matches(call), let modified = call.lastModified(at: now) else { return false }
                switch configuration.isyncUpdates {
                case .all: return modified > token.time
                case .none: return call.visibleAt > token.time  // new since the token; changes are not re-sent
                }
            }
            guard changed.count <= 250 else {
                return .apiError(400, code: "CMN-101",
                                 message: "Parameter [syncToken] is invalid [max sync record number limit is exceeded]",
                                 parameterName: "syncToken")
            }
            records = changed.sorted { $0.start != $1.start ? $0.start > $1.start : $0.id > $1.id }
        default:
            return invalid("syncType", syncType)
        }
        let token = SyncToken(kind: "call-log", accountIndex: accountIndex, extensionId: "", generation: syncGeneration[accountIndex],
                              time: now, view: view)
        var query = request.query.map { "\(percentEncode($0.name))=\(percentEncode($0.value))" }.joined(separator: "&")
        if !query.isEmpty { query = "?" + query }
        return .json(200, [
            "uri": .string(baseURL + renderer.accountPath + "/call-log-sync" + query),
            "records": .array(records.compactMap { renderer.callRecord($0, detailed: view == "Detailed") }),
            "syncInfo": ["syncType": .string(syncType), "syncToken": .string(token.encoded), "syncTime": .string(now.iso8601)],
        ])
    }

    // MARK: Messages

    /// The list filters of listMessages and syncMessages [SPEC]: each repeatable (`messageType=SMS&
    /// messageType=Fax`) or comma-separated; a value outside the spec's enum is CMN-101 naming it.
    func messageFilters(_ request: SimRequest) throws(SimResponseError) -> MessageFilters {
        func values(_ name: String, allowed: [String]) throws(SimResponseError) -> Set<String> {
            let given = request.parameters(name)
            if let bad = given.first(where: { !allowed.contains($0) }) { throw SimResponseError(response: invalid(name, bad)) }
            return Set(given)
        }
        return MessageFilters(
            types: try values("messageType", allowed: SimMessageType.allCases.map(\.rawValue)),
            directions: try values("direction", allowed: ["Inbound", "Outbound"]),
            readStatuses: try values("readStatus", allowed: ["Read", "Unread"]),
            availabilities: try values("availability", allowed: ["Alive", "Deleted", "Purged"]),
            conversationId: request.parameter("conversationId"))
    }

    func messageList(_ request: SimRequest, account: SimAccount, extensionId: String, renderer: Renderer) -> SimResponse {
        let now = self.now
        let dateFrom: Timestamp, dateTo: Timestamp
        let filters: MessageFilters
        do {
            (dateFrom, dateTo) = try listRange(request)
            filters = try messageFilters(request)
        } catch { return error.response }
        var messages = account.messages.filter { message in
            guard message.extensionId == extensionId, message.created >= dateFrom, message.created <= dateTo,
                let state = message.state(at: now)
            else { return false }
            // Without `availability` the list shows what a mailbox shows: Alive and Deleted (the
            // guide's example asks availability=Alive explicitly; the default is not documented).
            return filters.matches(message, state, defaultAvailabilities: ["Alive", "Deleted"])
        }.sorted { $0.created != $1.created ? $0.created > $1.created : $0.id > $1.id }
        if request.parameter("distinctConversations") == "true" {
            // "the latest messages per every conversation ID are returned" [SPEC].
            var seen = Set<String>()
            messages = messages.filter { $0.conversationId.map { seen.insert($0).inserted } ?? true }
        }
        return paged(request, records: messages.compactMap(renderer.messageRecord), defaultPerPage: 100, withTotals: true,
                     path: renderer.accountPath + "/extension/\(extensionId)/message-store")
    }

    mutating func messageSync(_ request: SimRequest, accountIndex: Int, extensionId: String, renderer: Renderer) -> SimResponse {
        let account = world.accounts[accountIndex]
        let now = self.now
        let syncType = request.parameter("syncType") ?? "FSync"
        var filters: MessageFilters
        do { filters = try messageFilters(request) } catch { return error.response }
        var olderRecordsExist = false
        var records: [JSON]
        switch syncType {
        case "FSync":
            let dateFrom: Timestamp, dateTo: Timestamp  // the guide: dateFrom one week before dateTo by default
            do {
                dateTo = try date(request, "dateTo") ?? now
                dateFrom = try date(request, "dateFrom") ?? dateTo.adding(seconds: -7 * 86_400)
            } catch { return error.response }
            var candidates = account.messages.filter { message in
                guard message.extensionId == extensionId, message.created >= dateFrom, message.created <= dateTo,
                    let state = message.state(at: now)
                else { return false }
                return filters.matches(message, state, defaultAvailabilities: ["Alive", "Deleted"])
            }.sorted { $0.created != $1.created ? $0.created > $1.created : $0.id > $1.id }
            if let countText = request.parameter("recordCount") {
                guard let count = Int(countText), count >= 1 else { return invalid("recordCount", countText) }
                olderRecordsExist = candidates.count > count
                candidates = Array(candidates.prefix(count))
            }
            records = candidates.compactMap(renderer.messageRecord)
        case "ISync":
            guard let text = request.parameter("syncToken") else {
                return .apiError(400, code: "CMN-100", message: "Parameter [syncToken] is mandatory for ISync", parameterName: "syncToken")
            }
            guard let token = SyncToken(text), token.kind == "message", token.accountIndex == accountIndex,
                token.extensionId == extensionId
            else {
                return .apiError(400, code: "CMN-101", message: "Parameter [syncToken] is invalid", parameterName: "syncToken")
            }
            guard token.generation == syncGeneration[accountIndex] else {
                return .apiError(400, code: "MSG-333", message: "Full synchronization is required", parameterName: "syncToken")
            }
            // The token carries the frame's message types (as a call-log token carries its filters);
            // types given again on ISync narrow it.
            if filters.types.isEmpty { filters.types = MessageFilters.types(fromToken: token.view) }
            // "ISync returns only new or changed messages" [G:messaging/message-store/message-sync]: a
            // read, a status, a deletion re-send the message; deleted and purged ones as id + availability.
            records = account.messages.filter { message in
                guard message.extensionId == extensionId, let state = message.state(at: now), state.lastModified > token.time else { return false }
                return filters.matches(message, state, defaultAvailabilities: ["Alive", "Deleted", "Purged"])
            }.sorted { $0.created != $1.created ? $0.created > $1.created : $0.id > $1.id }
                .compactMap(renderer.goneMessageRecord)
        default:
            return invalid("syncType", syncType)
        }
        let token = SyncToken(kind: "message", accountIndex: accountIndex, extensionId: extensionId,
                              generation: syncGeneration[accountIndex], time: now, view: filters.types.sorted().joined(separator: ","))
        return .json(200, [
            "uri": .string(baseURL + renderer.accountPath + "/extension/\(extensionId)/message-sync"),
            "records": .array(records),
            "syncInfo": [
                "syncType": .string(syncType), "syncToken": .string(token.encoded), "syncTime": .string(now.iso8601),
                "olderRecordsExist": .bool(olderRecordsExist),
            ],
        ])
    }
}

struct MessageFilters {
    var types: Set<String>
    var directions: Set<String>
    var readStatuses: Set<String>
    var availabilities: Set<String>
    var conversationId: String?

    static func types(fromToken view: String) -> Set<String> { Set(view.split(separator: ",").map(String.init)) }

    func matches(_ message: SimMessage, _ state: SimMessageState, defaultAvailabilities: Set<String>) -> Bool {
        (types.isEmpty || types.contains(message.type.rawValue))
            && (directions.isEmpty || directions.contains(message.direction))
            && (readStatuses.isEmpty || readStatuses.contains(state.readStatus))
            && (availabilities.isEmpty ? defaultAvailabilities : availabilities).contains(state.availability)
            && (conversationId == nil || conversationId == message.conversationId)
    }
}

struct SimResponseError: Error {
    let response: SimResponse
}

/// An opaque sync token: what was synced, for whom, up to when, in which generation.
struct SyncToken {
    let kind: String
    let accountIndex: Int
    let extensionId: String
    let generation: Int
    let time: Timestamp
    let view: String

    init(kind: String, accountIndex: Int, extensionId: String, generation: Int, time: Timestamp, view: String) {
        self.kind = kind
        self.accountIndex = accountIndex
        self.extensionId = extensionId
        self.generation = generation
        self.time = time
        self.view = view
    }

    var encoded: String {
        Base64.encodeURLSafe(Array("\(kind)|\(accountIndex)|\(extensionId)|\(generation)|\(time.millisecondsSinceEpoch)|\(view)".utf8))
    }

    init?(_ text: String) {
        guard let bytes = Base64.decode(text) else { return nil }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 6, let account = Int(fields[1]), let generation = Int(fields[3]), let millis = Int64(fields[4]) else {
            return nil
        }
        self.init(kind: fields[0], accountIndex: account, extensionId: fields[2], generation: generation,
                  time: Timestamp(millisecondsSinceEpoch: millis), view: fields[5])
    }
}
