import CurlHTTP
import RinglogSupport

/// A recording's RingSense insights as RingCentral sent them (`RecordingInsights`: title, speakerInfo,
/// insights.Transcript, Summary, Highlights, NextSteps, BulletedSummary, AIScore, CallNotes, Sentiment, …).
/// Kept verbatim: RingCentral adds fields, and an archive keeps what it was given, not what ringlog knows.
public struct RecordingInsights: Sendable {
    /// The response body, byte for byte.
    public let bytes: [UInt8]
    /// The same body parsed (always a JSON object).
    public let object: JSONObject

    public init(bytes: [UInt8], object: JSONObject) {
        self.bytes = bytes
        self.object = object
    }

    /// Parses a body: a JSON object, else nil.
    public init?(bytes: [UInt8]) {
        guard let json = try? JSON.parse(bytes), let object = json.objectValue else { return nil }
        self.init(bytes: bytes, object: object)
    }

    /// Ids placed in the insights path: 1 to 64 of `[A-Za-z0-9_-]` (pbx recording ids are digits; the spec's
    /// `SourceRecordId` example of another domain is `4b57_384543`). `.` is refused with the rest: a `..`
    /// segment would be folded away by the URL parser and name another resource.
    public static func isUsableRecordingId(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F
        }
    }

    /// Bodies larger than this are refused (a long call's transcript is a few hundred kilobytes).
    public static let maximumBytes = 32 << 20
}

extension RingCentralClient {
    /// `GET /ai/ringsense/v1/public/accounts/~/domains/pbx/records/{recordingId}/insights`
    /// (`getRecordingInsights`, Light, app permission `RingSense`). On the API server but not under
    /// `/restapi/v1.0`. Nil when RingCentral answers 404: no insights (yet) — they come minutes to hours
    /// after the call, and most recordings never get any. Any other refusal is thrown as it came
    /// (`RingCentralError.ringSenseUnavailability` tells the account-wide ones).
    public func recordingInsights(recordingId: String) throws(RingCentralError) -> RecordingInsights? {
        let endpoint = Self.insightsEndpoint
        guard RecordingInsights.isUsableRecordingId(recordingId) else {
            throw .invalidResponse(endpoint: endpoint, reason: "recording id \(RingCentralError.shown(String(recordingId.prefix(80))).debugDescription) "
                                   + "is not usable in a URL (expected 1 to 64 of [A-Za-z0-9_-])")
        }
        let path = "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/\(pathSegment(recordingId))/insights"
        let response = try authorizedGet(url(path), group: .light, sink: .memory(limit: RecordingInsights.maximumBytes), endpoint: endpoint)
        if response.status == 404 { return nil }
        guard response.isSuccess else {
            throw .http(status: response.status, body: APIErrorBody(bytes: response.body), endpoint: endpoint)
        }
        guard let insights = RecordingInsights(bytes: response.body) else {
            throw .invalidResponse(endpoint: endpoint, reason: "the body is not a JSON object")
        }
        return insights
    }

    public static let insightsEndpoint = "GET /ai/ringsense/v1/public/accounts/~/domains/pbx/records/{id}/insights"
}

extension RingCentralError {
    /// Why RingSense insights cannot be had for this app or account at all, when this error says so; nil
    /// for anything about one recording or a passing failure.
    ///
    /// A 403 (`Forbidden`: "lack of permissions, feature unavailability", the spec) counts when its body
    /// names a missing permission (`permissionName`, top level or in `errors[]`: the app lacks
    /// `RingSense`), or carries a permission or feature code: `CMN-401` (application permission
    /// required), `CMN-402` (admin permission), `CMN-408` (`[permission]` permission required),
    /// `CMN-109` (feature not available), or a word code such as `InsufficientPermissions` or
    /// `FeatureNotAvailable`. Branching on codes, not messages (RingCentral's guide); a message naming
    /// RingSense or a licence counts only when the body has no code at all.
    public var ringSenseUnavailability: String? {
        guard case .http(403, let body, _) = self, let body else { return nil }
        if let permission = body.missingPermission { return "the app lacks the [\(permission)] permission (HTTP 403, \(body.summary))" }
        let accountWide: Set<String> = ["CMN-401", "CMN-402", "CMN-408", "CMN-109"]
        for code in body.codes {
            let word = code.lowercased()
            if accountWide.contains(code) || word.contains("permission") || word.contains("notavailable") || word.contains("notenabled")
                || word.contains("licen") || word.contains("feature")
            {
                return "HTTP 403, \(body.summary)"
            }
        }
        if body.codes.isEmpty, let text = (body.message ?? body.errors.first?.message)?.lowercased(),
            text.contains("ringsense") || text.contains("licen") || text.contains("not available")
        {
            return "HTTP 403, \(body.summary)"
        }
        return nil
    }
}
