import ArchivePasses
import ArchiveStore
import ArchiveSync
import ArgumentParser
import RinglogSupport

struct ExcludeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclude",
        abstract: "Numbers that must never be archived: add, list, remove rules, apply them to what is archived.",
        discussion: """
            A rule matches every phoneNumber anywhere in a record (from, to, every leg,
            forwarding parties, earlier revisions) and a voicemail's sender; an extension rule
            also the extension's folder. At sync a matching call or voicemail never reaches the
            disk (no file, no log line; counted as "excluded N"). `exclude apply` removes
            matching items already archived, at once (never through the trash).

            The tree never holds an excluded number in clear: a number rule keeps
            HMAC-SHA256(key, E.164 number) and the last two digits; the key is
            <secrets-dir>/<tenantId>.exclusion-key (mode 0600, created on first use, beside the
            tenant's credentials: back it up with them; without it sync refuses to run).
            Prefix rules are kept as given (normalised to +digits).

            Numbers are normalised to E.164: +1…, 1…, (866)123-4567, spaces, dots, dashes,
            00 or 011 prefixes, x123 / ext. 123 extensions (dropped). A number in national
            form is read in --country CC, else the tenant's country (`ringlog tenant set ID
            --country CC`), else the country of the account's main number, else US. National
            forms are known for NANP countries (US, CA, PR and the Caribbean), GB IE DE FR NL
            BE LU CH AT ES PT IT SE NO DK FI PL AU NZ JP SG IN ZA BR MX (trunk 0 dropped where
            the country dials one; Italy keeps its 0). Masked numbers (with X) never match.
            """,
        subcommands: [Add.self, List.self, Remove.self, Apply.self])

    struct SecretsOption: ParsableArguments {
        @Option(help: "Directory of per-tenant secrets (default: $RINGLOG_SECRETS_DIR or ~/.config/ringlog/secrets).")
        var secretsDir: String?

        func keyPath(_ tenantId: String) -> String {
            ExclusionKeyFile.path(tenantId: tenantId, secretsDirectory: secretsDir ?? TenantSecrets.defaultDirectory(environment: environment()))
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a rule; prints its id.",
            discussion: """
                Examples:
                  ringlog exclude add --tenant 3f9c2a71d04e8b16 --number "(415) 555-0100" --label "staff helpline" --reason "works council agreement"
                  ringlog exclude add --tenant 3f9c2a71d04e8b16 --number "020 7946 0958" --country GB --reason "GP private line"
                  ringlog exclude add --tenant 3f9c2a71d04e8b16 --prefix +1900 --reason "premium lines"
                  ringlog exclude add --tenant 3f9c2a71d04e8b16 --extension 250 --reason "employee assistance line"
                """)
        @OptionGroup var root: RootOption
        @OptionGroup var secrets: SecretsOption
        @Option(help: "Tenant id.") var tenant: String
        @Option(help: "A phone number, in any common form.") var number: String?
        @Option(help: "A number prefix (+1900, 0044 20, …).") var prefix: String?
        @Option(name: .customLong("extension"), help: ArgumentHelp("An extension number.", valueName: "NUM")) var extensionNumber: String?
        @Option(help: ArgumentHelp("ISO 3166 country for a number in national form.", valueName: "CC")) var country: String?
        @Option(help: "A label for people (no digits of the number).") var label: String?
        @Option(help: "Why (goes into logs/audit.jsonl).") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if [number, prefix, extensionNumber].compactMap({ $0 }).count != 1 { throw ValidationError("give one of --number, --prefix or --extension") }
        }

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "exclude add")
            let context = try passContext(command: "exclude add")
            try runPass("exclude add", json: json) {
                let target: Exclusions.Target = if let number { .number(number) } else if let prefix { .prefix(prefix) } else { .extensionNumber(extensionNumber!) }
                // The key is created (outside the tree) only for a number rule.
                let key = number == nil ? nil : try ExclusionKeyFile.loadOrCreate(secrets.keyPath(tenant))
                return try Exclusions.add(store: store, target: target, country: country, label: label, reason: reason, key: key, context: context)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rules (numbers show only their last two digits).")
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "exclude list")
            try runPass("exclude list", json: json) { try Exclusions.list(store: store) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a rule (what it removed stays removed).")
        @OptionGroup var root: RootOption
        @Option(help: "Tenant id.") var tenant: String
        @Argument(help: "Rule id (excl-…).") var id: String
        @Option(help: "Why.") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "exclude remove")
            let context = try passContext(command: "exclude remove")
            try runPass("exclude remove", json: json) { try Exclusions.remove(store: store, id: id, reason: reason, context: context) }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete archived items that the rules match (at once, never through the trash).",
            discussion: """
                Reads every sidecar, the trash and _unfiled records. Same removal order as purge
                (tombstone first, media before the sidecar), reason "exclusion", rule id in the
                tombstone, never the number. Items a legal hold keeps stay (exit 4) until the
                hold is released. --dry-run lists what would go and changes nothing.
                """)
        @OptionGroup var root: RootOption
        @OptionGroup var secrets: SecretsOption
        @Option(help: "Tenant id.") var tenant: String
        @Flag(help: "List what would be deleted; change nothing.") var dryRun = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, store) = try openTenant(root, tenant, command: "exclude apply")
            let context = try passContext(command: "exclude apply")
            try runPass("exclude apply", json: json) {
                let path = secrets.keyPath(tenant)
                return try Exclusions.apply(store: store, key: try ExclusionKeyFile.load(path), keyPath: path, dryRun: dryRun, context: context,
                                            onPlannedFile: dryRun && !json ? { file, rule in print("would delete \(file) (\(rule))") } : nil)
            }
        }
    }
}
