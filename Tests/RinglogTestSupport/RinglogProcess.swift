import Foundation
import RinglogSupport

/// Runs the real `ringlog` binary, as a user or cron would.
public struct RinglogResult: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
}

public func runRinglog(_ arguments: [String], environment extra: [String: String] = [:],
                       inheritCredentials: Bool = false) async throws -> RinglogResult {
    try await blocking {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveSimulator.executablePath("ringlog"))
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { inheritCredentials || !$0.key.hasPrefix("RC_") }
        environment["RINGLOG_SECRETS_DIR"] = environment["RINGLOG_SECRETS_DIR"] ?? "/nonexistent-ringlog-secrets"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes before waiting, or a chatty child blocks on a full pipe.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RinglogResult(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                             standardError: String(decoding: errorData, as: UTF8.self))
    }
}

/// A fresh directory under /tmp, removed when the value is released.
public final class ScratchDirectory: Sendable {
    public let path: String

    public init() {
        var template = Array("/tmp/ringlog-archive-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = created.map { String(cString: $0) } ?? "/tmp/ringlog-archive-failed"
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension LiveSimulator {
    /// RingCentral's environment variables for this simulator's account `index`.
    public func environment(account index: Int = 0) -> [String: String] {
        let credentials = credentials(account: index)
        return ["RC_SERVER_URL": credentials.serverURL, "RC_APP_CLIENT_ID": credentials.clientId,
                "RC_APP_CLIENT_SECRET": credentials.clientSecret, "RC_USER_JWT": credentials.jwt]
    }
}
