import RinglogSupport
import RinglogTestSupport
import Testing
@testable import RingSimulator

/// Every response shape the simulator emits, checked against RingCentral's OpenAPI spec: required
/// fields, types, formats, enum values, and no field the spec does not define. The simulator may
/// not drift from RingCentral's contract.
@Suite struct SchemaConformanceTests {
    static let account = "/restapi/v1.0/account/{accountId}"

    func spec() throws -> OpenAPISpec {
        switch OpenAPISpec.shared {
        case .success(let spec): return spec
        case .failure(let error): throw error
        }
    }

    func expectConforms(_ value: JSON, path: String, status: String = "200", method: String = "get",
                        tolerating tolerated: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let spec = try spec()
        let schema = try #require(spec.responseSchema(path: path, method: method, status: status), "no \(status) schema for \(path)",
                                  sourceLocation: sourceLocation)
        var validator = SchemaValidator(spec: spec)
        validator.tolerated = tolerated
        let errors = validator.validate(value, schema)
        #expect(errors.isEmpty, "\(method.uppercased()) \(path) \(status): \(errors.prefix(10).joined(separator: "; "))",
                sourceLocation: sourceLocation)
    }

    /// Fields RingCentral sends in error bodies beyond `ApiErrorResponseModel`: a top-level
    /// `errorCode`/`message` (the guide's documented 403 bodies), `parameterName`/`parameterValue`
    /// ("ApiError can be used with arbitrary additional parameters") and RFC 6749's `error_description`.
    static let errorExtras: Set<String> = ["errorCode", "message", "parameterName", "parameterValue", "error_description"]

    @Test func oauthTokenAndErrors() throws {
        let driver = EngineDriver()
        let ok = driver.tokenRequest()
        #expect(ok.status == 200)
        try expectConforms(try JSON.parse(ok.body), path: "/restapi/oauth/token", method: "post")
        let badGrant = driver.tokenRequest(assertion: "not-the-jwt")
        #expect(badGrant.status == 400)
        let body = try JSON.parse(badGrant.body)
        #expect(body["error"] == "invalid_grant")
        try expectConforms(body, path: "/restapi/oauth/token", status: "400", method: "post", tolerating: Self.errorExtras)
    }

    @Test func accountAndExtensions() throws {
        var driver = EngineDriver()
        try driver.login()
        let (status, account) = try driver.getJSON(driver.accountPath)
        #expect(status == 200)
        try expectConforms(account, path: Self.account)
        let (listStatus, list) = try driver.getJSON(driver.accountPath + "/extension", [("perPage", "3")])
        #expect(listStatus == 200)
        try expectConforms(list, path: Self.account + "/extension")
    }

    @Test(arguments: ["Simple", "Detailed"])
    func callLogListRecordAndSync(view: String) throws {
        var driver = EngineDriver()
        try driver.login()
        let (status, list) = try driver.getJSON(driver.accountPath + "/call-log",
                                                [("dateFrom", "2026-11-01T00:00:00Z"), ("view", view), ("perPage", "1000")])
        #expect(status == 200)
        let records = try #require(list["records"]?.arrayValue)
        #expect(records.count > 50)
        try expectConforms(list, path: Self.account + "/call-log")
        let id = try #require(records.first?["id"]?.stringValue)
        let (_, single) = try driver.getJSON(driver.accountPath + "/call-log/\(id)", [("view", view)])
        try expectConforms(single, path: Self.account + "/call-log/{callRecordId}")

        let (_, full) = try driver.getJSON(driver.accountPath + "/call-log-sync",
                                           [("syncType", "FSync"), ("recordCount", "250"), ("view", view)])
        try expectConforms(full, path: Self.account + "/call-log-sync")
        let token = try #require(full["syncInfo"]?["syncToken"]?.stringValue)
        _ = driver.post("/__sim/advance", [("seconds", "86400")])
        let (_, incremental) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "ISync"), ("syncToken", token)])
        #expect((incremental["records"]?.arrayValue?.count ?? 0) > 0)
        try expectConforms(incremental, path: Self.account + "/call-log-sync")
    }

    /// Records of every shape (recording on a non-master leg or on every leg, transfer parts, extension
    /// only on legs, internal calls listed twice), in both views, through the list, single reads and sync.
    @Test(arguments: ["Simple", "Detailed"])
    func everyCallShapeConforms(view: String) throws {
        var driver = EngineDriver { $0.callShapes.internalCallShare = 0.3 }
        try driver.login()
        _ = driver.post("/__sim/advance", [("seconds", String(4 * 86_400))])
        let (status, list) = try driver.getJSON(driver.accountPath + "/call-log",
                                                [("dateFrom", "2026-11-01T00:00:00Z"), ("dateTo", "2026-12-01T00:00:00Z"),
                                                 ("view", view), ("perPage", "1000")])
        #expect(status == 200)
        try expectConforms(list, path: Self.account + "/call-log")
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let picks = [account.calls.first { $0.recordingPlacement == .nonMasterLegOnly }, account.calls.first { $0.recordingPlacement == .everyLeg },
                     account.calls.first { ($0.transfer?.index ?? 0) > 0 }, account.calls.first { $0.extensionOnLegsOnly },
                     account.calls.first { $0.internalPeerCallId != nil }]
        for call in picks {
            let id = try #require(call?.id)
            let (_, single) = try driver.getJSON(driver.accountPath + "/call-log/\(id)", [("view", view)])
            try expectConforms(single, path: Self.account + "/call-log/{callRecordId}")
        }
        let (_, full) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "250"), ("view", view)])
        try expectConforms(full, path: Self.account + "/call-log-sync")
    }

    @Test func recordingMetadata() throws {
        var driver = EngineDriver()
        try driver.login()
        let recording = try #require(try driver.truth().first { $0["kind"] == "recording" })
        let id = try #require(recording["recordingId"]?.stringValue)
        let (status, metadata) = try driver.getJSON(driver.accountPath + "/recording/\(id)")
        #expect(status == 200)
        try expectConforms(metadata, path: Self.account + "/recording/{recordingId}")
    }

    @Test func voicemailListReadAndSync() throws {
        var driver = EngineDriver { $0.days = 14 }
        try driver.login()
        let voicemail = try #require(try driver.truth().first { $0["kind"] == "voicemail" })
        let ext = try #require(voicemail["extensionId"]?.stringValue)
        let base = driver.accountPath + "/extension/\(ext)"
        let (status, list) = try driver.getJSON(base + "/message-store", [("messageType", "VoiceMail"), ("dateFrom", "2026-11-01T00:00:00Z")])
        #expect(status == 200)
        #expect((list["records"]?.arrayValue?.count ?? 0) > 0)
        try expectConforms(list, path: Self.account + "/extension/{extensionId}/message-store")
        let messageId = try #require(voicemail["messageId"]?.stringValue)
        let (_, message) = try driver.getJSON(base + "/message-store/\(messageId)")
        try expectConforms(message, path: Self.account + "/extension/{extensionId}/message-store/{messageId}")
        let (_, sync) = try driver.getJSON(base + "/message-sync", [("syncType", "FSync"), ("messageType", "VoiceMail"),
                                                                     ("dateFrom", "2026-11-01T00:00:00Z")])
        try expectConforms(sync, path: Self.account + "/extension/{extensionId}/message-sync")
    }

    /// SMS, MMS, pager, fax (both ways) and voicemail, in every mailbox, through the list, single reads,
    /// FSync and an ISync that carries changes, deletions and purges. Attachments of a type the spec
    /// does not list are off here (they break its enum on purpose).
    @Test func everyMessageKindConforms() throws {
        var driver = EngineDriver { $0.messages.unknownAttachmentTypeShare = 0; $0.messages.voicemailChangeShare = 0.5 }
        try driver.login()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        var tokens: [(String, String)] = []
        var kinds = Set<String>()
        for ext in account.extensions {
            let base = driver.accountPath + "/extension/\(ext.id)"
            let (status, list) = try driver.getJSON(base + "/message-store", [("dateFrom", "2026-11-01T00:00:00Z"), ("perPage", "1000"),
                                                                                ("availability", "Alive,Deleted,Purged")])
            #expect(status == 200)
            try expectConforms(list, path: Self.account + "/extension/{extensionId}/message-store")
            kinds.formUnion((list["records"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue })
            let (_, sync) = try driver.getJSON(base + "/message-sync", [("syncType", "FSync"), ("dateFrom", "2026-11-01T00:00:00Z")])
            try expectConforms(sync, path: Self.account + "/extension/{extensionId}/message-sync")
            tokens.append((ext.id, sync["syncInfo"]?["syncToken"]?.stringValue ?? ""))
        }
        #expect(kinds == ["SMS", "Pager", "Fax", "VoiceMail"])
        let now = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        for type in SimMessageType.allCases {
            for direction in ["Inbound", "Outbound"] {
                guard let message = account.messages.first(where: { $0.type == type && $0.direction == direction && $0.created <= now }) else { continue }
                let (_, single) = try driver.getJSON(driver.accountPath + "/extension/\(message.extensionId)/message-store/\(message.id)")
                try expectConforms(single, path: Self.account + "/extension/{extensionId}/message-store/{messageId}")
            }
        }
        _ = driver.post("/__sim/advance", [("seconds", String(2 * 86_400))])
        var gone = 0
        for (ext, token) in tokens {
            let (_, incremental) = try driver.getJSON(driver.accountPath + "/extension/\(ext)/message-sync", [("syncType", "ISync"), ("syncToken", token)])
            try expectConforms(incremental, path: Self.account + "/extension/{extensionId}/message-sync")
            gone += (incremental["records"]?.arrayValue ?? []).filter { $0["availability"] != "Alive" }.count
        }
        #expect(gone > 0, "deleted and purged records conform too")
    }

    /// RecordingInsights (getRecordingInsights) in both revisions, SessionsInsightsResource, and the
    /// 403 of an unlicensed account.
    @Test func ringSenseInsightsConform() throws {
        var driver = EngineDriver()
        try driver.login()
        let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let first = try #require(account.insights.first { $0.revisedAt != nil && $0.createdAt <= start && $0.revisedAt! > start })
        let full = try #require(account.insights.first { ($0.revisedAt ?? $0.createdAt) <= start })
        let path = "/ai/ringsense/v1/public/accounts/{accountId}/domains/{domain}/records/{sourceRecordId}/insights"
        for insight in [first, full] {
            let (status, body) = try driver.getJSON("/ai/ringsense/v1/public/accounts/~/domains/pbx/records/\(insight.recordingId)/insights")
            #expect(status == 200)
            try expectConforms(body, path: path)
        }
        let (_, session) = try driver.getJSON("/ai/ringsense/v1/public/accounts/~/domains/pbx/sessions/\(full.telephonySessionId)/insights")
        // RSPagingModel requires sortableFields, while its EnumeratedPagingModel branch says
        // additionalProperties: false: the spec contradicts itself, so each record is checked
        // against RecordingInsights and the paging by hand.
        for record in session["records"]?.arrayValue ?? [] { try expectConforms(record, path: path) }
        let paging = try #require(session["paging"]?.objectValue)
        #expect(["page", "perPage", "pageStart", "pageEnd", "totalElements", "sortableFields"].allSatisfy { paging[$0] != nil })
        var unlicensed = EngineDriver { $0.ringSense.allUnlicensed = true }
        try unlicensed.login()
        let refused = unlicensed.get("/ai/ringsense/v1/public/accounts/~/domains/pbx/records/\(full.recordingId)/insights")
        try expectConforms(try JSON.parse(refused.body), path: path, status: "403", tolerating: Self.errorExtras.union(["permissionName"]))
    }

    @Test func errorBodies() throws {
        var driver = EngineDriver { $0.timeScale = 1 }
        try driver.login()
        let notFound = driver.get(driver.accountPath + "/call-log/doesNotExist")
        #expect(notFound.status == 404)
        try expectConforms(try JSON.parse(notFound.body), path: Self.account + "/call-log/{callRecordId}", status: "404",
                           tolerating: Self.errorExtras)
        let (_, full) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "5")])
        _ = driver.post("/__sim/expire-sync-tokens")
        let expired = driver.get(driver.accountPath + "/call-log-sync",
                                 [("syncType", "ISync"), ("syncToken", full["syncInfo"]?["syncToken"]?.stringValue ?? "")])
        #expect(expired.status == 400)
        try expectConforms(try JSON.parse(expired.body), path: Self.account + "/call-log-sync", status: "400", tolerating: Self.errorExtras)
        let oldDateFrom = driver.get(driver.accountPath + "/call-log-sync",
                                     [("syncType", "FSync"), ("recordCount", "5"), ("dateFrom", "2026-09-01T00:00:00Z")])
        #expect(oldDateFrom.status == 400)
        try expectConforms(try JSON.parse(oldDateFrom.body), path: Self.account + "/call-log-sync", status: "400", tolerating: Self.errorExtras)
        var throttled = driver.get(driver.accountPath + "/call-log")
        for _ in 0..<12 where throttled.status != 429 { throttled = driver.get(driver.accountPath + "/call-log") }
        #expect(throttled.status == 429)
        let spec = try spec()
        let tooMany = try #require(spec.resolve("#/components/responses/TooManyRequests")?["content"]?["application/json"]?["schema"])
        var validator = SchemaValidator(spec: spec)
        validator.tolerated = Self.errorExtras
        #expect(validator.validate(try JSON.parse(throttled.body), tooMany).isEmpty)
    }

    /// The error variants (OAU-153, CMN-401/408/404, OAU-213, the 429s) against the spec's error models.
    /// Extra fields RingCentral's own payloads carry: `parameters` (OAU-153's errors[]), `permissionName`
    /// (CMN-401/408), `error` (RFC 6749/6750, on 401s).
    @Test func errorVariantsConform() throws {
        let extras = Self.errorExtras.union(["parameters", "permissionName", "error"])
        var driver = EngineDriver { $0.timeScale = 1 }
        let badClient = driver.tokenRequest(clientSecret: "wrong")
        try expectConforms(try JSON.parse(badClient.body), path: "/restapi/oauth/token", status: "400", method: "post", tolerating: extras)
        try driver.login()
        let spec = try spec()
        func model(_ reference: String) throws -> JSON {
            try #require(spec.resolve(reference)?["content"]?["application/json"]?["schema"] ?? spec.resolve(reference))
        }
        var validator = SchemaValidator(spec: spec)
        validator.tolerated = extras
        for (kind, path, schema) in [("app-permission", "/call-log", "#/components/responses/Forbidden"),
                                     ("user-permission", "/call-log", "#/components/responses/Forbidden"),
                                     ("another-extension", "/message-store", "#/components/responses/Forbidden"),
                                     ("rate-limit-without-window", "/call-log", "#/components/responses/TooManyRequests"),
                                     ("rate-limit-bare", "/call-log", "#/components/responses/TooManyRequests"),
                                     ("token-not-found", "/call-log", "#/components/schemas/ApiErrorResponseModel")] {
            _ = driver.post("/__sim/next-error", [("kind", kind), ("path", path)])
            let response = driver.get(driver.accountPath + (path == "/message-store" ? "/extension/~/message-store" : path))
            let errors = validator.validate(try JSON.parse(response.body), try model(schema))
            #expect(errors.isEmpty, "\(kind): \(errors.prefix(5))")
            if kind == "token-not-found" { try driver.login() }
        }
        // RingCentral's captured bad-grant body has no errors[], which the spec requires: the one shape
        // kept although the spec disagrees (it is what the server sent).
        _ = driver.post("/__sim/next-error", [("kind", "invalid-grant")])
        let bare = try JSON.parse(driver.tokenRequest().body)
        let oauth = try #require(spec.responseSchema(path: "/restapi/oauth/token", method: "post", status: "400"))
        #expect(!validator.validate(bare, oauth).isEmpty, "the spec would reject the real body")
    }

    @Test func validatorCatchesDrift() throws {
        // The validator itself must be able to fail, or the tests above prove nothing.
        let spec = try spec()
        let schema = try #require(spec.responseSchema(path: Self.account + "/call-log-sync"))
        let validator = SchemaValidator(spec: spec)
        let bad: JSON = [
            "uri": "x", "records": [["id": "a", "uri": "u", "sessionId": "1", "type": "Voice", "direction": "Sideways",
                                     "action": "Phone Call", "startTime": "yesterday", "invented": true]],
            "syncInfo": ["syncType": "FSync", "syncToken": "t"],
        ]
        let errors = validator.validate(bad, schema).joined(separator: "\n")
        #expect(errors.contains("direction"))
        #expect(errors.contains("startTime"))
        #expect(errors.contains("invented"))
        #expect(errors.contains("syncTime"))
    }
}
