import ArgumentParser
import Logging
import RinglogSupport
import ArchiveStore
import ArchiveSync

#if canImport(Glibc)
import Glibc
#endif

/// `--root`, shared by every archive command.
struct RootOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Archive root.", discussion: "Default: $RINGLOG_ROOT, else the current directory.",
                                            valueName: "path"))
    var root: String?

    var path: String {
        if let root { return root }
        if let value = getenv("RINGLOG_ROOT"), value.pointee != 0 { return String(cString: value) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

func environment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
        pointer += 1
    }
    return result
}

func bootstrapLogging(verbose: Bool) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = verbose ? .debug : .warning
        return handler
    }
}

func printError(_ message: String, newline: Bool = true) {
    let line = message + (newline ? "\n" : "")
    _ = line.withCString { write(2, $0, strlen($0)) }
}

var standardErrorIsTerminal: Bool { isatty(2) == 1 }

/// Runs `body`, turning the archive's typed errors into their documented exit status with a
/// message: configuration and control files 2, lease 5, local I/O 1.
func withConfigurationErrors<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        printError("ringlog \(command): \(error)")
        throw exitStatus(for: error)
    }
}

func exitStatus(for error: any Error) -> ExitCode {
    switch error {
    case is ConfigurationError, is ControlFileError: ExitStatus.configuration
    case is LeaseError: ExitStatus.lockHeld
    case let code as ExitCode: code
    default: ExitStatus.failure
    }
}

/// `RINGLOG_STALL_SECONDS`: a transfer below 1 KB/s on average over this long is abandoned (default 60).
func stallLimitSeconds(_ environment: [String: String]) throws(ConfigurationError) -> Int {
    guard let text = environment["RINGLOG_STALL_SECONDS"], !text.isEmpty else { return 60 }
    guard let value = Int(text), (1...3600).contains(value) else {
        throw ConfigurationError("RINGLOG_STALL_SECONDS=\(text.debugDescription) must be a whole number of seconds from 1 to 3600")
    }
    return value
}

/// `RINGLOG_LEASE_SECONDS`: the tenant lease's length (default 600 s), for tests and slow shares.
func leaseSeconds(_ environment: [String: String]) throws(ConfigurationError) -> Double {
    guard let text = environment["RINGLOG_LEASE_SECONDS"], !text.isEmpty else { return 600 }
    guard let value = Double(text), value.isFinite, value >= 1, value <= 86_400 else {
        throw ConfigurationError("RINGLOG_LEASE_SECONDS=\(text.debugDescription) must be a number of seconds from 1 to 86400")
    }
    return value
}
