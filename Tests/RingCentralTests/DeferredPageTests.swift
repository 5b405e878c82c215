import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

/// A call-log page is kept as its body and each record parsed when the sync takes it
/// (`Page.takeDeferredRecords`): what the page says — its records, their order, the rejected ones,
/// the next page — must be what decoding the whole page at once said.
@Suite struct DeferredPageTests {
    static func record(_ id: String, _ start: String, extra: String = "") -> String {
        #"{"id":"\#(id)","sessionId":"s\#(id)","startTime":"\#(start)","duration":30,"type":"Voice","direction":"Inbound","action":"Phone Call","result":"Accepted"\#(extra)}"#
    }

    static func page(_ records: [String]) -> String {
        #"{"uri":"https://platform.ringcentral.com/restapi/v1.0/account/~/call-log?page=1","records":[ "# + records.joined(separator: " ,\n ")
            + #" ],"paging":{"page":1,"perPage":1000},"navigation":{"nextPage":{"uri":"https://platform.ringcentral.com/restapi/v1.0/account/~/call-log?page=2"}}}"#
    }

    static func serve(_ body: String) async throws -> Page<CallLogRecord> {
        let server = try ScriptedServer { _, path, _ in path == "/restapi/oauth/token" ? .token() : .json(200, body) }
        let client = ServerNumberTests.client(server)
        return try await blocking {
            try client.callLogPage(dateFrom: Timestamp(iso8601: "2026-11-01T00:00:00Z")!, dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!)
        }
    }

    @Test func recordsComeInStartTimeOrderAndTheRejectedAreKnownBeforeAnyIsTaken() async throws {
        var page = try await Self.serve(Self.page([
            Self.record("C", "2026-11-20T10:00:00.000Z", extra: #","legs":[{"startTime":"2026-11-20T10:00:00.000Z","recording":{"id":"7","contentUri":"https://media.ringcentral.com:443/r/7"}}]"#),
            Self.record("A", "2026-11-18T09:00:00.000Z"),
            Self.record("bad", "garbage"),
            Self.record("B", "2026-11-19T08:00:00.000Z", extra: #","note":"é \u00e9 \"quoted\"""#),
            Self.record("A2", "2026-11-18T09:00:00.000Z"),  // the same instant as A: after it, as the page had them
        ]))
        #expect(page.recordCount == 4)
        #expect(page.rejected.count == 1 && page.rejected.first?.id == "bad" && page.rejected.first?.reason.contains("startTime") == true)
        #expect(page.nextPageURI?.hasSuffix("page=2") == true)
        #expect(page.records.map(\.id) == ["C", "A", "B", "A2"], "`records` in the page's order")
        let deferred = page.takeDeferredRecords()
        var taken = try #require(deferred)
        var ids: [String] = []
        var raws: [JSONObject] = []
        while let record = try taken.next() {
            ids.append(record.id)
            raws.append(record.raw)
        }
        #expect(ids == ["A", "A2", "B", "C"])
        #expect(raws[2]["note"]?.stringValue == "é é \"quoted\"", "each record parsed whole, escapes and all")
        #expect(raws[3]["legs"]?[0]?["recording"]?["contentUri"]?.stringValue == "https://media.ringcentral.com:443/r/7")
        let again = page.takeDeferredRecords()
        #expect(again == nil && page.recordCount == 0, "taken once")
    }

    @Test func aDuplicateNameInsideARecordFailsThePageAsAWholeParseDid() async throws {
        await #expect {
            _ = try await Self.serve(Self.page([Self.record("A", "2026-11-18T09:00:00.000Z", extra: #","id":"again""#)]))
        } throws: { error in
            guard case RingCentralError.invalidResponse(_, let reason) = error else { return false }
            return reason.contains("duplicate member name \"id\"")
        }
    }

    @Test(arguments: [
        (#"{"records":{"a":1}}"#, "records"),  // not an array: refused by the page's decoding, naming the field
        (#"{"navigation":{}}"#, "records"),
        (#"{"records":[{"id":"A",}]}"#, "invalid JSON"),  // a malformed element fails the page
        (#"{"records":[],"records":[]}"#, "duplicate member name"),
    ])
    func aMalformedPageIsRefusedNamingWhy(body: String, reason: String) async throws {
        await #expect {
            _ = try await Self.serve(body)
        } throws: { error in
            guard case RingCentralError.invalidResponse(_, let why) = error else { return false }
            return why.contains(reason)
        }
    }

    @Test func anEmptyPageHasNoRecords() async throws {
        var page = try await Self.serve(#"{"records":[ ],"navigation":{}}"#)
        #expect(page.recordCount == 0 && page.rejected.isEmpty && page.nextPageURI == nil)
        let deferred = page.takeDeferredRecords()
        var taken = try #require(deferred)
        #expect(try taken.next() == nil)
    }

    /// A message-store page likewise: in creation-time order, the undecodable ones rejected up front.
    @Test func messagesComeInCreationTimeOrder() async throws {
        func message(_ id: String, _ created: String) -> String {
            #"{"id":\#(id),"type":"SMS","creationTime":"\#(created)","lastModifiedTime":"\#(created)","availability":"Alive","attachments":[]}"#
        }
        let body = Self.page([message("3", "2026-11-20T10:00:00.000Z"), message("1", "2026-11-18T10:00:00.000Z"), message("9", "never"),
                              message("2", "2026-11-19T10:00:00.000Z")])
        let server = try ScriptedServer { _, path, _ in path == "/restapi/oauth/token" ? .token() : .json(200, body) }
        let client = ServerNumberTests.client(server)
        var page = try await blocking {
            try client.messagePage(extensionId: "101", types: ["SMS"], dateFrom: Timestamp(iso8601: "2026-11-01T00:00:00Z")!,
                                   dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!)
        }
        #expect(page.recordCount == 3 && page.rejected.map(\.id) == ["9"])
        let deferred = page.takeDeferredRecords()
        var taken = try #require(deferred)
        var ids: [String] = []
        while let record = try taken.next() { ids.append(record.id) }
        #expect(ids == ["1", "2", "3"])
    }
}
