import Foundation
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// A Python fixture from `Tests/Fixtures` run as a child process: it prints one JSON line when it is
/// ready, and is killed when this object goes away.
public final class FixtureProcess: Sendable {
    public let startup: JSON
    private let processIdentifier: Int32

    public init(script: String, arguments: [String] = []) throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", directory.appendingPathComponent(script).path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line: [UInt8] = []
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
        guard let startup = try? JSON.parse(line), startup.objectValue != nil else {
            kill(process.processIdentifier, SIGKILL)
            throw ConfigurationError("\(script) printed no JSON startup line: \(String(decoding: line, as: UTF8.self))")
        }
        self.startup = startup
        processIdentifier = process.processIdentifier
    }

    public subscript(key: String) -> String { startup[key]?.stringValue ?? "" }

    deinit {
        kill(processIdentifier, SIGKILL)
        var status: Int32 = 0
        waitpid(processIdentifier, &status, 0)
    }
}
