import ArgumentParser

@main
struct CommsCredits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commscredits",
        abstract: "Prepaid Communications Credits for an organization's calls and conference dial-out.",
        subcommands: [
            Serve.self, Tenants.self, Users.self, Numbers.self, Licenses.self, Credits.self, Report.self, Tokens.self, Controls.self, Verify.self,
            Backup.self,
            Restore.self, Simulate.self, Migrate.self, Copy.self,
            Bench.self, Problems.self,
        ]
    )
}

/// `--database`, for the commands that open the data directly.
struct DatabaseOption: ParsableArguments {
    @Option(
        help: "Where the data lives: sqlite:PATH or postgres://USER@HOST:PORT/DATABASE (password in DATABASE_PASSWORD or DATABASE_PASSWORD_FILE)."
    )
    var database: String = "sqlite:commscredits.sqlite"
}
