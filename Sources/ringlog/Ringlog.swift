import ArgumentParser

@main
struct Ringlog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringlog",
        abstract: "Archive a RingCentral account's call recordings, voicemails and call logs to a plain directory tree.",
        discussion: """
            Typical use:
              ringlog init /srv/archive
              ringlog tenant add "Acme" --root /srv/archive \\
                  --server https://platform.ringcentral.com
              ringlog sync --root /srv/archive --all    (from cron or a timer)
              ringlog policy set --tenant ID --preset hipaa --reason "…"
              ringlog purge --root /srv/archive --all    (daily, after the sync)

            Traffic and staffing (no network; the last two read the archive only):
              ringlog erlang staff --calls 100 --period 30m --aht 3m \\
                  --service-level 80% --target 20s
              ringlog traffic --root /srv/archive --from 2026-11-01 --to 2026-11-30
              ringlog plan --root /srv/archive --from 2026-11-01 --to 2026-11-28 \\
                  --service-level 80% --target 20s --chart plan.svg

            Credentials, per tenant: a secrets file <secrets-dir>/<tenantId>.json with
            clientId, clientSecret and jwt, mode 0600 (default dir
            ~/.config/ringlog/secrets, or $RINGLOG_SECRETS_DIR); otherwise RingCentral's
            conventional environment variables:
              RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT
              (and RC_SERVER_URL for `probe`)
            The JWT's user needs ReadCallLog, ReadCallRecording, ReadMessages and
            ReadAccounts. Secrets are never printed, logged or written into the archive.

            Every command takes --root (default: $RINGLOG_ROOT, else the current
            directory).

            Exit codes:
              0  success
              1  failure (network, server or archive error)
              2  usage or configuration error (bad flag value, missing archive,
                 credentials, wrong account; purge: also when its --max-delete
                 guard refused the run)
              3  authentication failed (client id/secret or JWT refused)
              4  partial: finished, but some items are pending, quarantined or failed
              5  another run holds the tenant's lock
              6  damage found in the archive (verify; export refuses a damaged file)
              64 malformed command line
            """,
        version: "ringlog \(ringlogVersion) (layout v1)",
        subcommands: [Init.self, TenantCommand.self, Sync.self, Pending.self, Reindex.self, Probe.self, PolicyCommand.self, HoldCommand.self,
                      PurgeCommand.self, TrashCommand.self, ExcludeCommand.self, Export.self, Verify.self, ErlangCommand.self, TrafficReportCommand.self, PlanCommand.self])
}

/// The version printed by --version and written into every export's EXPORT.json.
let ringlogVersion = "0.2.0"

/// Exit statuses shared by every subcommand.
enum ExitStatus {
    static let failure = ExitCode(1)
    static let configuration = ExitCode(2)
    static let authentication = ExitCode(3)
    static let partial = ExitCode(4)
    static let lockHeld = ExitCode(5)
    static let damage = ExitCode(6)
}
