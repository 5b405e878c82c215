import CurlHTTP
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// `getRecordingInsights`: on the API server, outside `/restapi/v1.0`, Light, the body kept byte for byte.
@Suite struct InsightsEndpointTests {
    static let body = #"{"title":"Call from +15550100 to 101","domain":"pbx","sourceRecordId":"1662273001","sourceSessionId":"s-1","ownerExtensionId":"101000","recordingDurationMs":112000,"recordingStartTime":"2026-11-19T15:00:00.000Z","creationTime":"2026-11-19T15:05:00.000Z","lastModifiedTime":"2026-11-19T15:05:00.000Z","speakerInfo":[{"speakerId":"p-1"}],"insights":{"Summary":[{"value":"A call.","start":1.2,"end":4.20}]},"laterField":1e3}"#

    @Test func theInsightsPathIsOnThePlatformHostAndTheBodyIsKeptVerbatim() async throws {
        let seen = Mutex<[String]>([])
        let server = try ScriptedServer { _, path, _ in
            if path == "/restapi/oauth/token" { return .token() }
            seen.withLock { $0.append(path) }
            if path == "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1662273001/insights" {
                return .json(200, Self.body, headers: [("X-Rate-Limit-Group", "light")])
            }
            return .json(404, #"{"errors":[{"errorCode":"CMN-102","message":"Resource for parameter [sourceRecordId] is not found"}]}"#)
        }
        let client = ServerNumberTests.client(server)
        let insights = try #require(try await blocking { try client.recordingInsights(recordingId: "1662273001") })
        #expect(insights.bytes == Array(Self.body.utf8), "byte for byte, number literals (4.20, 1e3) and unknown fields included")
        #expect(insights.object["laterField"] == .number("1e3"))
        // Not there (yet): nil, not an error.
        #expect(try await blocking { try client.recordingInsights(recordingId: "1662273002") } == nil)
        #expect(seen.withLock { $0 } == ["/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1662273001/insights",
                                          "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1662273002/insights"])
        #expect(client.governor.statistics[.light]?.requests == 2, "Light: \(client.governor.statistics)")
        #expect(client.governor.statistics[.heavy]?.requests ?? 0 == 0)
    }

    /// An id that could change the path never reaches the network.
    @Test(arguments: ["..", "a/b", "1662273001/../../x", "", "x y", "1%2F2", String(repeating: "1", count: 65)])
    func aHostileRecordingIdIsRefusedBeforeAnyRequest(id: String) async throws {
        let count = Mutex(0)
        let server = try ScriptedServer { _, path, _ in
            if path != "/restapi/oauth/token" { count.withLock { $0 += 1 } }
            return path == "/restapi/oauth/token" ? .token() : .json(200, "{}")
        }
        let client = ServerNumberTests.client(server)
        do {
            _ = try await blocking { try client.recordingInsights(recordingId: id) }
            Issue.record("\(id.debugDescription) was accepted")
        } catch let error as RingCentralError {
            guard case .invalidResponse = error else { Issue.record("\(error)"); return }
        }
        #expect(count.withLock { $0 } == 0)
    }

    /// The refusals that say RingSense is not to be had for this app or account, in the shapes
    /// RingCentral uses for permission and feature errors; and those that do not.
    @Test func whichRefusalsMeanNoRingSenseForTheAccount() throws {
        func error(_ status: Int, _ body: String?) -> RingCentralError {
            .http(status: status, body: body.flatMap { APIErrorBody(bytes: Array($0.utf8)) }, endpoint: RingCentralClient.insightsEndpoint)
        }
        let unavailable = [
            #"{"errorCode":"CMN-401","message":"In order to call this API endpoint, application needs to have [RingSense] permission","permissionName":"RingSense"}"#,
            #"{"errors":[{"errorCode":"CMN-401","message":"In order to call this API endpoint, application needs to have [RingSense] permission","permissionName":"RingSense"}]}"#,
            #"{"errorCode":"InsufficientPermissions","message":"In order to call this API endpoint, application needs to have [RingSense] permission","permissionName":"RingSense","errors":[{"errorCode":"CMN-401","message":"x"}]}"#,
            #"{"errors":[{"errorCode":"CMN-109","message":"Feature not available for this account"}]}"#,
            #"{"errors":[{"errorCode":"CMN-408","message":"In order to call this API endpoint, user needs to have [RingSense] permission for requested resource."}]}"#,
            #"{"errorCode":"FeatureNotAvailable","message":"RingSense is not enabled"}"#,
            #"{"message":"RingSense license required"}"#,
        ]
        for body in unavailable {
            #expect(error(403, body).ringSenseUnavailability != nil, "\(body)")
        }
        #expect(error(403, unavailable[0]).ringSenseUnavailability?.contains("[RingSense] permission") == true)
        let notAboutTheAccount: [(Int, String?)] = [
            (404, #"{"errors":[{"errorCode":"CMN-102","message":"Resource for parameter [sourceRecordId] is not found"}]}"#),
            (403, #"{"errorCode":"CMN-404","message":"Attempt to access another extension"}"#),
            (403, nil),
            (500, #"{"errors":[{"errorCode":"CMN-203","message":"Internal Server Error"}]}"#),
            (401, #"{"errors":[{"errorCode":"CMN-401","message":"x","permissionName":"RingSense"}]}"#),
        ]
        for (status, body) in notAboutTheAccount {
            #expect(error(status, body).ringSenseUnavailability == nil, "\(status) \(body ?? "no body")")
        }
    }
}
