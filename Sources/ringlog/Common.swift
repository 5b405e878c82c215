import ArgumentParser
import Logging
import RinglogSupport
import ArchiveStore
import ArchiveSync
import ArchivePasses

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

/// Prints a pass's report (lines, or its JSON with --json) and turns its outcome into the exit
/// status: refused by a guard 2, partial 4.
func finish(_ report: PassReport, json: Bool) throws {
    if json {
        print(JSON.object(report.json).serialized(.pretty))
    } else {
        for line in report.lines { print(line) }
    }
    switch report.outcome {
    case .done: return
    case .partial: throw ExitStatus.partial
    case .refused: throw ExitStatus.configuration
    }
}

/// The archive and the store of an active tenant (`--tenant`), or a configuration error.
func openTenant(_ root: RootOption, _ tenantId: String, command: String) throws -> (ArchiveRoot, TenantStore) {
    try withConfigurationErrors(command) {
        let archive = try ArchiveRoot.open(root.path)
        let markers = try archive.tenantMarkers(selecting: tenantId)
        for (_, marker) in markers { _ = try marker.get() }
        return (archive, archive.store(for: tenantId))
    }
}

/// The context of a pass run from the command line: the clock, `user@host`, the lease length, and
/// the test seams `RINGLOG_TEST_CRASH_AT_STEP` (exit 137 before that durable removal step, as a
/// kill -9 would) and `RINGLOG_TEST_STEP_DELAY_MS` (a pause before each step, so a test can kill
/// the process mid-run).
func passContext(command: String) throws -> PassContext {
    let variables = environment()
    var context = PassContext()
    context.leaseSeconds = try withConfigurationErrors(command) { try leaseSeconds(variables) }
    let crashAt = variables["RINGLOG_TEST_CRASH_AT_STEP"].flatMap(Int.init)
    let delay = variables["RINGLOG_TEST_STEP_DELAY_MS"].flatMap(UInt32.init)
    if crashAt != nil || delay != nil {
        context.beforeRemovalStep = { step, _ in
            if let delay { usleep(delay * 1000) }
            if let crashAt, step >= crashAt { _exit(137) }
        }
    }
    return context
}

/// Runs a pass with the archive's typed errors mapped to exit statuses (see `withConfigurationErrors`).
func runPass(_ command: String, json: Bool, _ body: () throws -> PassReport) throws {
    let report = try withConfigurationErrors(command, body)
    try finish(report, json: json)
}

/// Standard output in 64 KiB blocks, for long listings (a purge plan): one write(2) per block
/// instead of a locked, flushed `print` per line.
final class BufferedOutput {
    private var buffer: [UInt8] = []

    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        fflush(nil)  // what print() buffered goes first
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { break }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
