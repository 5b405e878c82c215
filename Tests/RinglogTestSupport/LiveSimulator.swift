import CurlHTTP
import Dispatch
import Foundation
import Logging
import RingCentral
import RinglogSupport
import Synchronization

/// The real `ringlog-simulator` binary, started as a child process on 127.0.0.1, and clients that
/// reach it through libcurl. A separate process keeps the simulator's timing independent of
/// whatever else the test process is doing on its two cooperative threads.
public final class LiveSimulator: Sendable {
    /// The API URL (`url` on the startup line): `http://platform.sim.localhost:PORT`, or the loopback
    /// URL with `singleHost`.
    public let baseURL: String
    /// Where contentUris and attachment URIs point (`mediaUrl`): `http://media.sim.localhost:PORT`.
    public let mediaURL: String
    /// `http://127.0.0.1:PORT` (`loopbackUrl`): the same server, for tools that cannot resolve `*.localhost`.
    public let loopbackURL: String
    public let port: UInt16
    public let processIdentifier: Int32
    public let startup: JSON
    private let control = CurlHTTPClient()

    public struct Options: Sendable {
        public var timeScale = 600.0  // 60 s windows become 0.1 s: fast, still enforced
        public var days = 7
        public var futureDays = 3
        public var callsPerDay = 40
        public var tokenLifetime = 3600
        public var slowSeconds = 5.0
        public var seed: UInt64 = 1
        public var accounts = 1
        /// `--single-host`: API and media both on http://127.0.0.1:PORT.
        public var singleHost = false
        /// `--isync-updates all|none` (nil: the simulator's default).
        public var isyncUpdates: String?
        /// `--rate-limits heavy=20,medium=40,light=50,auth=200` (nil: RingCentral's defaults).
        public var rateLimits: String?
        /// `--shared-extension-numbers N` (nil: the simulator's default, one pair per account).
        public var sharedExtensionNumbers: Int?
        /// `--fsync-max-days N` (nil: the simulator's default, 30; 0: no limit).
        public var fsyncMaxDays: Int?
        /// `--mailbox-access all|owner` (nil: the simulator's default).
        public var mailboxAccess: String?
        /// Further simulator options, appended as given (e.g. `["--isync-updates", "none"]`).
        public var extraArguments: [String] = []
    }

    public static func executablePath(_ name: String) -> String {
        // The test bundle and the package's executables are built into the same directory.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path),
            directory.path != "/"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent(name).path
    }

    public static func start(_ configure: (inout Options) -> Void = { _ in }) async throws -> LiveSimulator {
        var options = Options()
        configure(&options)
        var arguments: [String] = [
            "--port", "0", "--seed", String(options.seed), "--start-time", "2026-11-20T23:00:00Z", "--clock-speed", "0",
            "--time-scale", String(options.timeScale), "--days", String(options.days), "--future-days", String(options.futureDays),
            "--calls-per-day", String(options.callsPerDay), "--token-lifetime", String(options.tokenLifetime),
            "--slow-seconds", String(options.slowSeconds), "--accounts", String(options.accounts),
        ]
        if options.singleHost { arguments.append("--single-host") }
        if let isyncUpdates = options.isyncUpdates { arguments += ["--isync-updates", isyncUpdates] }
        if let mailboxAccess = options.mailboxAccess { arguments += ["--mailbox-access", mailboxAccess] }
        if let rateLimits = options.rateLimits { arguments += ["--rate-limits", rateLimits] }
        if let pairs = options.sharedExtensionNumbers { arguments += ["--shared-extension-numbers", String(pairs)] }
        if let fsyncMaxDays = options.fsyncMaxDays { arguments += ["--fsync-max-days", String(fsyncMaxDays)] }
        arguments += options.extraArguments
        let finalArguments = arguments
        return try await blocking { try LiveSimulator(arguments: finalArguments) }
    }

    private init(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executablePath("ringlog-simulator"))
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // One JSON line once listening.
        var line: [UInt8] = []
        let handle = output.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let first = byte.first else { break }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        let startup = try JSON.parse(line)
        guard let url = startup["url"]?.stringValue, let port = UInt16(url.split(separator: ":").last ?? ""),
            let mediaURL = startup["mediaUrl"]?.stringValue, let loopbackURL = startup["loopbackUrl"]?.stringValue
        else {
            kill(process.processIdentifier, SIGKILL)
            throw SimulatorStartError(description: "simulator printed no URLs: \(String(decoding: line, as: UTF8.self))")
        }
        self.baseURL = url
        self.mediaURL = mediaURL
        self.loopbackURL = loopbackURL
        self.port = port
        self.startup = startup
        self.processIdentifier = process.processIdentifier
    }

    deinit {
        // SIGKILL: a child spawned from a GCD thread may have SIGTERM blocked (swift-corelibs-foundation #4772).
        kill(processIdentifier, SIGKILL)
        var status: Int32 = 0
        waitpid(processIdentifier, &status, 0)
    }


    public var accountId: String { startup["accounts"]?[0]?["accountId"]?.stringValue ?? "" }

    /// `extensionJwts` of an account: a JWT per User extension (same client id and secret).
    public func extensionJwts(account: Int = 0) -> [String: String] {
        var jwts: [String: String] = [:]
        for member in startup["accounts"]?[account]?["extensionJwts"]?.objectValue?.members ?? [] { jwts[member.key] = member.value.stringValue }
        return jwts
    }

    /// Credentials that log in as `extensionId` (its JWT from `extensionJwts`).
    public func credentials(account: Int = 0, extensionId: String) -> RingCentralCredentials {
        var credentials = credentials(account: account)
        credentials.jwt = extensionJwts(account: account)[extensionId] ?? ""
        return credentials
    }

    public func credentials(account: Int = 0) -> RingCentralCredentials {
        let entry = startup["accounts"]?[account]
        return RingCentralCredentials(serverURL: baseURL, clientId: entry?["clientId"]?.stringValue ?? "",
                                      clientSecret: entry?["clientSecret"]?.stringValue ?? "", jwt: entry?["jwt"]?.stringValue ?? "")
    }

    public func client(account: Int = 0, logger: Logger = Logger(label: "test"), lowSpeedTimeSeconds: Int = 5,
                maximumAttempts: Int = 6) -> RingCentralClient {
        var curl = CurlConfiguration()
        curl.lowSpeedTimeSeconds = lowSpeedTimeSeconds
        var retry = RetryPolicy()
        retry.initialDelaySeconds = 0.02
        retry.maximumDelaySeconds = 0.2
        retry.maximumAttempts = maximumAttempts
        return RingCentralClient(credentials: credentials(account: account), http: CurlHTTPClient(configuration: curl),
                                 retry: retry, logger: logger)
    }

    private func call(_ method: HTTPRequest.Method, _ pathAndQuery: String, body: String = "") -> JSON {
        let request = HTTPRequest(method: method, url: baseURL + pathAndQuery, body: method == .post ? Array(body.utf8) : nil,
                                  totalTimeoutSeconds: 30)
        guard let response = try? control.perform(request) else { return .null }
        return (try? JSON.parse(response.body)) ?? .null
    }

    public var stats: JSON { call(.get, "/__sim/stats") }
    public var truth: [JSON] { call(.get, "/__sim/truth")["items"]?.arrayValue ?? [] }
    public var recordingSchedule: [JSON] { call(.get, "/__sim/recordings")["items"]?.arrayValue ?? [] }
    public func advance(seconds: Double) { _ = call(.post, "/__sim/advance?seconds=\(seconds)") }
    public func expireSyncTokens() { _ = call(.post, "/__sim/expire-sync-tokens") }
    public func setFaults(_ json: String) { _ = call(.post, "/__sim/faults", body: json) }
    /// Queues a one-shot error variant (`POST /__sim/next-error`): `kind` is one of invalid-client,
    /// invalid-grant, app-permission, user-permission, another-extension, rate-limit-without-window,
    /// rate-limit-bare, token-not-found (or none to clear); it answers the next `count` requests whose
    /// path contains `path` (default: the token endpoint for the OAuth kinds, the API otherwise).
    public func nextError(_ kind: String, count: Int = 1, path: String? = nil, permission: String? = nil) {
        var query = "kind=\(kind)&count=\(count)"
        if let path { query += "&path=" + percentEncode(path) }
        if let permission { query += "&permission=" + percentEncode(permission) }
        _ = call(.post, "/__sim/next-error?" + query)
    }
}

public struct SimulatorStartError: Error, CustomStringConvertible {
    public let description: String
}

extension JSON {
    public var int: Int { Int(int64Value ?? -1) }
}

/// Runs blocking work (libcurl transfers, process I/O) on a GCD thread, off the cooperative pool.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Collects every log line, to prove that no secret is ever logged.
public final class LogCapture: Sendable {
    public let lines = Mutex<[String]>([])

    public init() {}

    public var logger: Logger {
        var logger = Logger(label: "capture") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let error = event.error.map { " \($0)" } ?? ""
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])\(error)") }
        }
    }
}

/// A file descriptor for a download target in a fresh temporary file.
public func temporaryFile() -> (path: String, descriptor: Int32) {
    var template = Array("/tmp/ringlog-test-XXXXXX".utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    return (template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, descriptor)
}
