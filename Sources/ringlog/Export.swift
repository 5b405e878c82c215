import ArchiveExport
import ArchiveStore
import ArgumentParser
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one reproducible tarball of a tenant's items in a period, checkable without ringlog.",
        discussion: """
            The tarball holds one directory <tenantId>-<period>/ with EXPORT.json (what
            and under which policy), MANIFEST.jsonl (the manifest lines of the exported
            files), SHA256SUMS (every other file, `sha256sum -c` format) and the items
            as they are in the tree: <extension>/<YYYY-MM-DD>/… . An item belongs to a
            period by its start (UTC), as its day folder does. Tombstoned (purged or
            excluded) items are never exported, nor anything from .ringlog/ or logs/.

            --kind chooses what goes in (comma-separated or repeated; default all):
              calls       call records (sidecars; a call's link to its voicemail or fax)
              recordings  call recordings
              insights    a recording's RingSense insights files
              voicemails  voicemails: sidecar, audio, transcription (also: voicemail)
              faxes       faxes received and sent, with their documents (also: fax)
              sms         SMS and MMS messages, with their text and pictures
              pager       pager messages, with their attachments
            A message always goes whole (its sidecar and every attachment). EXPORT.json
            counts each kind (sidecars per message kind; recordings, insights,
            voicemail audio, transcriptions and other attachments as files).

            Reproducible: two exports of the same archive state are byte-identical (pax
            format, entries in byte order of path, owner 0:0, modes 0640/0750, each
            item's mtime its start time, gzip/zstd without timestamp or name).

            Every media file is hashed as it is written and compared with its sidecar:
            a damaged or missing file stops the export (exit 6) rather than ship it.
            -o FILE is written to a temporary file beside FILE and renamed into place
            when complete; an existing FILE is replaced only with --force. -o - writes
            to standard output. The format comes from FILE's suffix (.tar, .tar.gz or
            .tgz, .tar.zst) unless --format says.

            An auditor checks it with plain tools:
              tar -xzf export.tar.gz && cd <tenantId>-2026-11 && sha256sum -c SHA256SUMS

            Exit status: 0 written; 1 writing failed (disk full, closed pipe) or the
            archive could not be read; 2 configuration (FILE exists, unknown tenant or
            extension); 6 a source file is damaged or missing (nothing was written;
            `ringlog verify` lists every problem); 130/143 interrupted; 64 malformed
            command line.

            Examples:
              ringlog export --tenant 3f9c2a71d04e8b16 --period 2026-11 -o acme-2026-11.tar.gz
              ringlog export --tenant 3f9c2a71d04e8b16 --period 2026 --kind recordings \\
                  --extension 101 --extension 102 -o recordings-2026.tar.zst
              ringlog export --tenant 3f9c2a71d04e8b16 --from 2026-11-03 --to 2026-11-09 \\
                  --format tar -o - | ssh offsite 'cat > week45.tar'
            """)

    @OptionGroup var root: RootOption
    @Option(help: "Tenant id.") var tenant: String
    @Option(help: ArgumentHelp("A month (YYYY-MM) or a year (YYYY), UTC.", valueName: "period")) var period: String?
    @Option(help: ArgumentHelp("First day (YYYY-MM-DD, UTC), with --to.", valueName: "date")) var from: String?
    @Option(help: ArgumentHelp("Last day, included (YYYY-MM-DD, UTC), with --from.", valueName: "date")) var to: String?
    @Option(name: .customLong("extension"),
            help: ArgumentHelp("Only this extension folder (a number, id-<extensionId> or _account); repeatable.", valueName: "num"))
    var extensions: [String] = []
    @Option(help: ArgumentHelp("What to include: calls, recordings, insights, voicemails, faxes, sms, pager (comma-separated; default all).",
                               valueName: "kinds"))
    var kind: [String] = []
    @Option(help: ArgumentHelp("tar, tar.gz or tar.zst (default: from the file's suffix; tar for -o -).", valueName: "format"))
    var format: String?
    @Option(name: .short, help: ArgumentHelp("The tarball to write, or - for standard output.", valueName: "file")) var output: String
    @Flag(help: "Replace FILE if it exists.") var force = false
    @Flag(help: "Show progress on stderr even when it is not a terminal.") var progress = false

    func validate() throws {
        if period != nil && (from != nil || to != nil) { throw ValidationError("use --period, or --from and --to, not both") }
        if period == nil && (from == nil || to == nil) { throw ValidationError("give --period YYYY-MM|YYYY, or --from DATE and --to DATE") }
    }

    func run() throws {
        let (archive, request, destination) = try withConfigurationErrors("export") { () throws -> (ArchiveRoot, ExportRequest, ExportDestination) in
            let archive = try ArchiveRoot.open(root.path)
            _ = try archive.tenants(selecting: tenant)
            let exportPeriod = try period.map { try ExportPeriod.parse(period: $0) } ?? ExportPeriod.parse(from: from!, to: to!)
            let chosen = try exportFormat()
            for folder in extensions where !ArchiveReader.isExtensionFolder(folder) {
                throw ConfigurationError("--extension \(folder.debugDescription) is not an extension folder (a number, id-<digits> or _account)")
            }
            let request = ExportRequest(tenantId: tenant, period: exportPeriod, extensionFolders: extensions.isEmpty ? nil : Set(extensions),
                                        kinds: try ExportKind.parse(kind), format: chosen, ringlogVersion: ringlogVersion)
            if output == "-" && isatty(1) == 1 {
                throw ConfigurationError("refusing to write a tarball to a terminal; redirect standard output or use -o FILE")
            }
            return (archive, request, output == "-" ? .standardOutput : .file(path: output, replacing: force))
        }
        try runExport(archive: archive, request: request, destination: destination, showProgress: progress || standardErrorIsTerminal)
    }

    private func exportFormat() throws -> ExportFormat {
        let fromName = output == "-" ? nil : ExportFormat(fileName: output)
        if let format {
            guard let chosen = ExportFormat(rawValue: format) else {
                throw ConfigurationError("--format \(format.debugDescription) is not one of tar, tar.gz, tar.zst")
            }
            if let fromName, fromName != chosen {
                throw ConfigurationError("--format \(format) but \(output) is named as \(fromName.rawValue): rename the file or drop --format")
            }
            return chosen
        }
        if output == "-" { return .tar }
        guard let fromName else {
            throw ConfigurationError("cannot tell the format from \(output.debugDescription): name it .tar, .tar.gz or .tar.zst, or add --format")
        }
        return fromName
    }
}

/// The export with the CLI's context: progress on stderr, SIGINT/SIGTERM stopping it cleanly.
func runExport(archive: ArchiveRoot, request: ExportRequest, destination: ExportDestination, showProgress: Bool) throws {
    var context = ExportContext()
    let cancellation = CancellationFlag()
    context.cancellation = cancellation
    let stop = SignalStop(command: "export", stopping: "removing the unfinished tarball")
    let handlers = stop.install()
    defer { withExtendedLifetime(handlers) {} }
    _ = stop.begin(cancellation)
    // A file-size limit (ulimit -f) then fails the write with EFBIG, which removes the temporary file,
    // instead of killing the process with it in place.
    signal(SIGXFSZ, SIG_IGN)
    if showProgress {
        let onTerminal = standardErrorIsTerminal
        context.progress = { progress in
            let line = "export: \(progress.files)/\(progress.totalFiles) files, \(formatBytes(progress.bytes)) of \(formatBytes(progress.totalBytes))"
            if onTerminal { printError("\u{1B}[2K\r" + line, newline: false) } else { printError(line) }
        }
    }
    do {
        let summary = try Exporter.export(root: archive, request: request, to: destination, context: context)
        if showProgress && standardErrorIsTerminal { printError("\u{1B}[2K\r", newline: false) }
        let counts = summary.counts
        let target: String
        if case .file(let path, _) = destination { target = path } else { target = "standard output" }
        printError("ringlog export: \(target): \(summary.topDirectory)/ with \(summary.files) files (\(counts["calls"] ?? 0) calls, "
                   + "\(counts["recordings"] ?? 0) recordings, \(counts["insights"] ?? 0) insights, \(counts["voicemails"] ?? 0) voicemails, "
                   + "\(counts["transcriptions"] ?? 0) transcriptions, \(counts["faxes"] ?? 0) faxes, \(counts["sms"] ?? 0) SMS/MMS, "
                   + "\(counts["pager"] ?? 0) pager messages, \(counts["attachments"] ?? 0) message attachments), "
                   + "\(formatBytes(summary.bytes)) → \(formatBytes(summary.outputBytes))"
                   + (summary.omittedTombstoned + summary.omittedExcluded > 0
                      ? "; left out: \(summary.omittedTombstoned) tombstoned files, \(summary.omittedExcluded) excluded items" : ""))
    } catch {
        if showProgress && standardErrorIsTerminal { printError("", newline: true) }
        printError("ringlog export: \(error)")
        switch error {
        case ExportError.damaged: throw ExitStatus.damage
        case ExportError.refused: throw ExitStatus.configuration
        case ExportError.interrupted: throw ExitCode(128 + (stop.signal ?? SIGTERM))
        default: throw exitStatus(for: error)
        }
    }
}

func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes), unit = 0
    while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(bytes) B" : "\((value * 10).rounded() / 10) \(units[unit])"
}
