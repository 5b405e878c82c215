import ArgumentParser
import Logging
import RinglogCore

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

/// Runs `body`, turning the archive's configuration errors into exit status 2 with a message.
func withConfigurationErrors<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ConfigurationError {
        printError("ringlog \(command): \(error)")
        throw ExitStatus.configuration
    } catch let error as ArchiveIOError {
        printError("ringlog \(command): \(error)")
        throw ExitStatus.failure
    }
}
