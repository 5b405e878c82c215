import ArgumentParser
import ArchiveStore
import ArchiveSync
import ArchivePasses
import RinglogSupport

struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Add, list or remove tenants (one RingCentral account each).",
        subcommands: [Add.self, List.self, Show.self, Remove.self, Set.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a tenant and create its directory; prints the new tenant id.",
            discussion: """
                The id is 16 random hex digits, never reused, even after the tenant is
                removed. The first sync binds the tenant to the RingCentral account its
                credentials log in to.

                --messages chooses the message kinds archived besides calls and recordings:
                a comma-separated list of voicemail, fax, sms (SMS and MMS), pager; `none` for
                calls only. Default: all four. `tenant set --messages` changes it later; a kind
                added then is archived from --since on.

                --insights on|off|auto: whether sync archives the RingSense insights of each
                archived recording beside it (default auto; see `tenant set --help`).

                Example:
                  ringlog tenant add "Acme Corp" --server https://platform.ringcentral.com --since 2026-01-01
                  ringlog tenant add "Clinic" --server https://platform.ringcentral.com --messages voicemail,fax
                """)

        @OptionGroup var root: RootOption
        @Argument(help: "A label for people (stored in tenant.json, never in a path).") var name: String
        @Option(help: "RingCentral server URL (default: $RC_SERVER_URL).") var server: String?
        @Option(help: "Archive nothing older than this date or instant (ISO 8601). Default: everything RingCentral still holds.")
        var since: String?
        @Option(help: ArgumentHelp("Message kinds to archive: voicemail,fax,sms,pager or none (default: all four).", valueName: "kinds"))
        var messages: String?
        @Option(help: ArgumentHelp("RingSense insights of recordings: on, off or auto (default auto: asked, and turned off for a run with one warning when the account has no RingSense).",
                                   valueName: "on|off|auto"))
        var insights: InsightsSetting?

        func run() throws {
            var kinds: MessageKinds?
            if let messages {
                do { kinds = try MessageKinds(parsing: messages) } catch {
                    printError("ringlog tenant add: \(error)")
                    throw ExitStatus.configuration
                }
            }
            let serverURL = server ?? environment()["RC_SERVER_URL"]
            guard let serverURL, serverURL.hasPrefix("https://") || serverURL.hasPrefix("http://") else {
                printError("ringlog tenant add: --server (or RC_SERVER_URL) must be an http(s) URL")
                throw ExitStatus.configuration
            }
            var start: Timestamp?
            if let since {
                guard let parsed = Timestamp(iso8601: since) else {
                    printError("ringlog tenant add: --since \(since.debugDescription) is not an ISO 8601 date (e.g. 2026-01-01)")
                    throw ExitStatus.configuration
                }
                start = parsed
            }
            let marker = try withConfigurationErrors("tenant add") {
                try ArchiveRoot.open(root.path).addTenant(name: name, server: serverURL, since: start, messages: kinds, insights: insights,
                                                          onRepair: reportRegistryRepair)
            }
            print(marker.tenantId)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants, removed ones marked.")
        @OptionGroup var root: RootOption
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let archive = try withConfigurationErrors("tenant list") { try ArchiveRoot.open(root.path) }
            let entries = try withConfigurationErrors("tenant list") { try archive.registry() }
            // The settings of an active tenant from its marker; a marker that cannot be read shows as such.
            func marker(_ entry: ArchiveRoot.RegistryEntry) -> Result<TenantMarker, any Error>? {
                guard !entry.removed else { return nil }
                return Result { try TenantMarker.read(from: archive.tenantDirectory(entry.tenantId)) }
            }
            if json {
                print(JSON.array(entries.map { entry in
                    var object: JSONObject = ["tenantId": .string(entry.tenantId), "name": .string(entry.name), "removed": .bool(entry.removed)]
                    switch marker(entry) {
                    case .success(let marker)?:
                        object["messages"] = .string(marker.messageKinds.description)
                        object["insights"] = .string((marker.insights ?? .auto).rawValue)
                    case .failure?: object["messages"] = "unreadable tenant.json"
                    case nil: break
                    }
                    return .object(object)
                }).serialized())
            } else {
                for entry in entries {
                    let settings = switch marker(entry) {
                    case .success(let marker)?: "  (messages: \(marker.messageKinds.description); insights \((marker.insights ?? .auto).rawValue))"
                    case .failure?: "  (messages: unreadable tenant.json)"
                    case nil: ""
                    }
                    print("\(entry.tenantId)  \(entry.removed ? "removed " : "")\(entry.name)" + settings)
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tenant's settings (tenant.json).")
        @OptionGroup var root: RootOption
        @Argument(help: "Tenant id.") var tenantId: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenantId, command: "tenant show")
            let marker = try withConfigurationErrors("tenant show") { try store.marker() }
            let settings = TenantCommand.settings(marker)
            if json {
                print(JSON.object(JSONObject(settings.map { ($0.0, $0.1) })).serialized())
            } else {
                for (key, value) in settings { print("\(key): \(value.stringValue ?? value.serialized())") }
            }
        }
    }

    /// What `tenant show` prints, in order: every owned setting, `messages` and `insights` always (their defaults spelled out).
    static func settings(_ marker: TenantMarker) -> [(String, JSON)] {
        var result: [(String, JSON)] = [("tenantId", .string(marker.tenantId)), ("name", .string(marker.name)), ("server", .string(marker.server))]
        result.append(("since", marker.since.map { .string($0.iso8601) } ?? .null))
        result.append(("accountId", marker.accountId.map { .string($0) } ?? .null))
        result.append(("country", .string(marker.numberingCountry.iso)))
        result.append(("messages", .string(marker.messageKinds.description + (marker.messages == nil ? " (default)" : ""))))
        result.append(("insights", .string((marker.insights ?? .auto).rawValue + (marker.insights == nil ? " (default)" : ""))))
        result.append(("createdAt", .string(marker.createdAt.iso8601)))
        return result
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a tenant from the registry (its archived data stays on disk).",
            discussion: "The id is tombstoned and never issued again. Delete the directory yourself if you mean to.")
        @OptionGroup var root: RootOption
        @Argument(help: "Tenant id.") var tenantId: String

        func run() throws {
            try withConfigurationErrors("tenant remove") {
                try ArchiveRoot.open(root.path).removeTenant(tenantId, onRepair: reportRegistryRepair)
            }
            print("removed \(tenantId) from the registry; its directory was left untouched")
        }
    }
}

extension TenantCommand {
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a tenant's settings.",
            discussion: """
                --country CC (ISO 3166): the country phone numbers in national form are read in,
                for `exclude add --number` and for the numbers in records. Default: the country
                of the account's main number once the tenant is bound, else US. Covered: NANP
                countries (US, CA, PR and the Caribbean), GB IE DE FR NL BE LU CH AT ES PT IT SE
                NO DK FI PL AU NZ JP SG IN ZA BR MX.

                --messages KINDS: the message kinds archived, comma-separated: voicemail, fax,
                sms (SMS and MMS), pager; or none for calls only. A kind added is archived
                from the tenant's --since by the next sync (its mailboxes take a new sync token
                and list that kind from since); a kind removed is no longer asked for, and what
                was archived of it stays.

                Example:
                  ringlog tenant set 3f9c2a71d04e8b16 --country GB
                  ringlog tenant set 3f9c2a71d04e8b16 --messages voicemail,fax,sms

                --insights on|off|auto: whether sync archives the RingSense insights of
                recordings (transcript, summary, highlights, next steps, AI notes) beside
                them. auto (the default) asks, and when the account has no RingSense (the
                app lacks the RingSense permission, or no licence) turns them off for that
                run with one warning; on makes that an item error (the run is partial);
                off never asks.

                Example:
                  ringlog tenant set 3f9c2a71d04e8b16 --insights off
                """)
        @OptionGroup var root: RootOption
        @Argument(help: "Tenant id.") var tenantId: String
        @Option(help: ArgumentHelp("ISO 3166 country code.", valueName: "CC")) var country: String?
        @Option(help: ArgumentHelp("Message kinds: voicemail,fax,sms,pager or none.", valueName: "kinds")) var messages: String?
        @Option(help: ArgumentHelp("RingSense insights of recordings: on (an account without RingSense is an item error in each run), "
                                   + "off (never asked) or auto (asked; an account without RingSense turns them off for the run with one warning).",
                                   valueName: "on|off|auto"))
        var insights: InsightsSetting?
        @Option(help: "Why (goes into logs/audit.jsonl).") var reason = "tenant settings"
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard country != nil || messages != nil || insights != nil else {
                printError("ringlog tenant set: nothing to set; give --country, --messages and/or --insights")
                throw ExitStatus.configuration
            }
            let (_, store) = try openTenant(root, tenantId, command: "tenant set")
            let context = try passContext(command: "tenant set")
            if let country {
                try runPass("tenant set", json: json) { try TenantSettings.setCountry(store: store, country: country, reason: reason, context: context) }
            }
            if let messages {
                try runPass("tenant set", json: json) { try TenantSettings.setMessages(store: store, messages: messages, reason: reason, context: context) }
            }
            if let insights {
                try runPass("tenant set", json: json) { try TenantSettings.setInsights(store: store, setting: insights, reason: reason, context: context) }
            }
        }
    }
}

/// The registry has no error log of its own: a repaired torn line is reported on stderr.
func reportRegistryRepair(_ repair: ArchiveRoot.RegistryRepair) {
    printError("ringlog: repaired \(repair.path): removed an incomplete last line of \(repair.removedBytes) bytes "
               + "(an interrupted append): \(repair.fragment.debugDescription)")
}

extension InsightsSetting: ExpressibleByArgument {}
