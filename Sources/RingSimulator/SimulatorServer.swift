import FlyingFox
import FlyingSocks
import Foundation
import RinglogSupport

/// The simulator on a real socket: FlyingFox on 127.0.0.1 in front of `SimulatorEngine`.
/// Startable in-process (tests) or from the `ringlog-simulator` executable.
public final class SimulatorServer: Sendable {
    public let engine: SimulatorEngine
    private let server: HTTPServer
    private let task: Task<Void, any Error>
    public let port: UInt16

    /// The API URL clients are given (`platform.sim.localhost:PORT`, or the loopback URL with `singleHost`).
    public var baseURL: String { engine.urls.platform }
    /// Where `contentUri`s and attachment URIs point (`media.sim.localhost:PORT`).
    public var mediaURL: String { engine.urls.media }
    /// `http://127.0.0.1:PORT`, for clients that cannot resolve `*.localhost`.
    public var loopbackURL: String { engine.urls.loopback }

    public static func start(configuration: SimulatorConfiguration, port: UInt16 = 0) async throws -> SimulatorServer {
        let engine = SimulatorEngine(configuration: configuration)
        // Loopback IPv4 only: `.loopback` would be ::1 on Linux.
        let handler = ClosureHTTPHandler { request in await SimulatorServer.respond(to: request, engine: engine) }
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: port), timeout: 600, logger: .disabled,
                                handler: handler)
        let task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 10)
        guard case .ip4(_, let boundPort) = await server.listeningAddress else {
            task.cancel()
            throw SimulatorInputError("simulator did not bind an IPv4 port")
        }
        engine.setPort(boundPort)
        disableNagleOnListeningSocket(port: boundPort)
        return SimulatorServer(engine: engine, server: server, task: task, port: boundPort)
    }

    private init(engine: SimulatorEngine, server: HTTPServer, task: Task<Void, any Error>, port: UInt16) {
        self.engine = engine
        self.server = server
        self.task = task
        self.port = port
    }

    public func stop() async {
        await server.stop(timeout: 1)
        task.cancel()
    }

    /// The one JSON line printed once listening: the URLs and every account's credentials.
    public var startupLine: String {
        let accounts: [JSON] = engine.credentials.map {
            [
                "accountId": .string($0.accountId), "clientId": .string($0.clientId), "clientSecret": .string($0.clientSecret),
                "jwt": .string($0.jwt), "ownerExtensionId": .string($0.ownerExtensionId),
                "extensionJwts": .object(JSONObject($0.extensionJwts.map { ($0.extensionId, JSON.string($0.jwt)) })),
            ]
        }
        let line: JSON = [
            "url": .string(baseURL), "mediaUrl": .string(mediaURL), "loopbackUrl": .string(loopbackURL),
            "seed": .number(String(engine.configuration.seed)),
            "timeScale": .number(formatSeconds(engine.configuration.timeScale)), "accounts": .array(accounts),
        ]
        return line.serialized()
    }

    static func respond(to request: HTTPRequest, engine: SimulatorEngine) async -> HTTPResponse {
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
        let body = (try? await request.bodyData).map { [UInt8]($0) } ?? []
        let raw = request.target.query(percentEncoded: true)
        let query: [(name: String, value: String)] = raw.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(String(parts[0])), parts.count > 1 ? percentDecode(String(parts[1])) : "")
        }
        let simRequest = SimRequest(method: request.method.rawValue, path: request.target.path(percentEncoded: false),
                                    query: query, headers: headers, body: body)
        let response = engine.handle(simRequest)
        if response.delaySeconds > 0 {
            try? await Task.sleep(nanoseconds: UInt64(response.delaySeconds * 1e9))
        }
        var responseHeaders = HTTPHeaders()
        for (name, value) in response.headers { responseHeaders.addValue(value, for: HTTPHeader(name)) }
        let status = HTTPStatusCode(response.status, phrase: reasonPhrase(response.status))
        switch response.delivery {
        case .complete:
            return HTTPResponse(statusCode: status, headers: responseHeaders, body: Data(response.body))
        case .resetAfterHeaders, .truncated:
            let cut = response.delivery == .truncated ? response.body.count / 2 : 0
            let bytes = DisconnectingBytes(bytes: response.body, disconnectAfter: cut)
            return HTTPResponse(statusCode: status, headers: responseHeaders,
                                body: HTTPBodySequence(from: bytes, count: response.body.count, suggestedBufferSize: 1024))
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// FlyingFox writes a response's head and body separately and offers no socket-option hook, so with
/// Nagle's algorithm the body waits for the client's delayed ACK (~40 ms per request on Linux).
/// Linux copies TCP_NODELAY from a listening socket to the sockets it accepts, so the option is set
/// on the listener, found by its port among this process's descriptors.
private func disableNagleOnListeningSocket(port: UInt16) {
    for descriptor in Int32(0)..<Int32(4096) {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0, address.sin_family == sa_family_t(AF_INET), UInt16(bigEndian: address.sin_port) == port else { continue }
        var listening: Int32 = 0
        var optionLength = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optionLength) == 0, listening == 1 else { continue }
        var on: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return
    }
}

/// A body that stops after `disconnectAfter` bytes by throwing, which makes FlyingFox close the
/// connection: the client sees the promised Content-Length go unfulfilled.
struct DisconnectingBytes: AsyncBufferedSequence, Sendable {
    typealias Element = UInt8
    let bytes: [UInt8]
    let disconnectAfter: Int

    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes, disconnectAfter: disconnectAfter) }

    struct Disconnect: Error {}

    struct Iterator: AsyncBufferedIteratorProtocol {
        let bytes: [UInt8]
        let disconnectAfter: Int
        var position = 0

        mutating func next() async throws -> UInt8? {
            guard position < disconnectAfter else { throw Disconnect() }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
            guard position < disconnectAfter else { throw Disconnect() }
            let end = Swift.min(disconnectAfter, position + count)
            defer { position = end }
            return bytes[position..<end]
        }
    }
}
