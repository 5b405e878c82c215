import ArgumentParser

@main
struct Ringlog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringlog",
        abstract: "Archive a RingCentral account's call recordings, voicemails and call logs to a plain directory tree.",
        discussion: """
            Credentials come from RingCentral's conventional environment variables:
              RC_SERVER_URL         e.g. https://platform.ringcentral.com
              RC_APP_CLIENT_ID      the JWT app's client id
              RC_APP_CLIENT_SECRET  the JWT app's client secret
              RC_USER_JWT           the JWT credential of a user with ReadCallLog, ReadCallRecording,
                                    ReadMessages and ReadAccounts
            Secrets are never printed, logged or written to disk.

            Exit codes:
              0  success
              1  failure (network, server or archive error)
              2  usage or configuration error (bad flag, missing variable)
              3  authentication failed (client id/secret or JWT refused)
            """,
        subcommands: [Probe.self])
}

/// Exit statuses shared by every subcommand.
enum ExitStatus {
    static let failure = ExitCode(1)
    static let configuration = ExitCode(2)
    static let authentication = ExitCode(3)
}
