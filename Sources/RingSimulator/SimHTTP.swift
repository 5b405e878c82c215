import RinglogSupport

/// A request as the engine sees it: independent of the web server that received it.
public struct SimRequest: Sendable {
    public var method: String
    public var path: String
    /// Decoded query parameters in order; repeated names (`direction=Inbound&direction=Outbound`) repeat.
    public var query: [(name: String, value: String)]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [(name: String, value: String)], headers: [String: String], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    func parameter(_ name: String) -> String? {
        query.first { $0.name == name || $0.name == name + "[]" }?.value
    }

    func parameters(_ name: String) -> [String] {
        query.filter { $0.name == name || $0.name == name + "[]" }.flatMap { $0.value.split(separator: ",").map(String.init) }
    }

    /// `application/x-www-form-urlencoded` body fields.
    var formFields: [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            fields[percentDecode(String(parts[0]))] = parts.count > 1 ? percentDecode(String(parts[1])) : ""
        }
        return fields
    }
}

/// How the body leaves the server. The faults model a peer that drops the connection.
public enum BodyDelivery: Sendable, Equatable {
    case complete
    /// Headers (with the full Content-Length), then the connection closes before any body byte.
    case resetAfterHeaders
    /// Headers, about half the body, then the connection closes.
    case truncated
}

public struct SimResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var delivery: BodyDelivery = .complete
    /// Seconds to wait before answering (the slow-response fault).
    public var delaySeconds: Double = 0
    /// Which `X-Rate-Limit-*` headers the answer carries (all of them, on RingCentral's plan limits).
    var rateHeaders = RateHeaders.all

    enum RateHeaders: Sendable { case all, withoutWindow, none }

    init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ value: JSON) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: value.serializedBytes())
    }

    /// RingCentral's error body: `errors[]` always, with the top-level `errorCode`/`message` it also sends.
    static func apiError(_ status: Int, code: String, message: String, parameterName: String? = nil,
                         parameterValue: String? = nil) -> SimResponse {
        var error = JSONObject()
        error["errorCode"] = .string(code)
        error["message"] = .string(message)
        if let parameterName { error["parameterName"] = .string(parameterName) }
        if let parameterValue { error["parameterValue"] = .string(parameterValue) }
        return json(status, ["errorCode": .string(code), "message": .string(message), "errors": [.object(error)]])
    }

    /// OAuth errors: RFC 6749 `error` plus RingCentral's `errors[]`.
    static func oauthError(_ status: Int, error: String, code: String, message: String) -> SimResponse {
        json(status, [
            "error": .string(error), "error_description": .string(message), "errorCode": .string(code),
            "message": .string(message), "errors": [["errorCode": .string(code), "message": .string(message)]],
        ])
    }
}
