import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Message sync and the message-store list ask for exactly the types given (one `messageType`
/// parameter each, as the spec's `messageType[]` array), in the Light group; attachments are Medium
/// (spec `x-throttling-group`: syncMessages, listMessages Light; readMessageContent Medium).
@Suite struct MessageEndpointTests {
    @Test func messageTypesGoOnTheWireAndTheGroupsAreLightThenMedium() async throws {
        let sim = try await LiveSimulator.start { $0.days = 14 }
        let client = sim.client()
        let truth = sim.truth
        let voicemail = try #require(truth.first { $0["kind"] == "voicemail" })
        let extensionId = try #require(voicemail["extensionId"]?.stringValue)
        let from = Timestamp(iso8601: "2026-11-01T00:00:00Z")!, to = Timestamp(iso8601: "2026-11-21T00:00:00Z")!
        // Without VoiceMail among the types, the simulator's voicemails do not come: the filter reached it.
        let others = try await blocking { try client.messageSync(extensionId: extensionId, types: ["Fax", "SMS", "Pager"], .full(recordCount: 250, dateFrom: from)) }
        #expect(!others.records.contains { $0.type == "VoiceMail" })
        let all = try await blocking { try client.messageSync(extensionId: extensionId, types: ["Fax", "SMS", "Pager", "VoiceMail"], .full(recordCount: 250, dateFrom: from)) }
        #expect(all.records.contains { $0.id == voicemail["messageId"]?.stringValue })
        let page = try await blocking { try client.messagePage(extensionId: extensionId, types: ["SMS", "VoiceMail"], dateFrom: from, dateTo: to) }
        #expect(page.records.contains { $0.id == voicemail["messageId"]?.stringValue })
        let light = client.governor.statistics[.light]?.requests ?? 0
        #expect(light == 3, "message-sync and message-store are Light")
        let attachment = try #require(page.records.first?.attachments.first)
        let file = temporaryFile()
        defer { close(file.descriptor); unlink(file.path) }
        _ = try await blocking { try client.downloadAttachment(uri: attachment.uri, to: file.descriptor) }
        #expect(client.governor.statistics[.medium]?.requests == 1 && client.governor.statistics[.light]?.requests == light,
                "an attachment is Medium")
        #expect(client.governor.statistics[.heavy]?.requests ?? 0 == 0)
    }
}
