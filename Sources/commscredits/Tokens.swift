import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import Foundation

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make, list and revoke bearer tokens for programs.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print it (only it) on standard output; it is not shown again.",
            discussion:
                "Scopes: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")). An operator token reaches every tenant and takes no --tenant; a telephony platform's token (calls, usage) without --tenant charges the calls of every tenant and does nothing else."
        )

        @Option(help: "The tenant the token is for (omit it for an operator's token, or a platform's for every tenant).") var tenant: String?
        @Option(help: "Comma-separated scopes, for example calls,usage.") var scopes: String
        @Option(help: "A name to tell the token apart in lists.") var name = ""
        @Option(help: "Days the token works: 1 to \(AccessToken.maximumLifetimeDays).") var expiresInDays = AccessToken.defaultLifetimeDays
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let made = try await services.access.createToken(
                    name: name,
                    tenantId: tenant.map(TenantId.init),
                    scopes: Scope.parseList(scopes),
                    lifetimeDays: expiresInDays
                )
                printError(
                    "Created \(made.token.id) (\(made.token.scopes.sorted().map(\.rawValue).joined(separator: ", "))"
                        + (made.token.tenantId.map { " for \($0)" } ?? " for every tenant")
                        + ", until \(ISO8601.format(made.token.expiresAt))); keep it secret."
                )
                print(made.secret)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @Option(help: "Only this tenant's tokens.") var tenant: String?
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                for token in try await services.access.tokens(of: tenant.map(TenantId.init)) {
                    print(
                        "\(token.id)  \(token.tenantId?.rawValue ?? "(every tenant)")  \(token.scopes.sorted().map(\.rawValue).joined(separator: ","))"
                            + "  \(token.name)  created \(ISO8601.format(token.createdAt))  expires \(ISO8601.format(token.expiresAt))"
                            + (token.revokedAt.map { "  revoked \(ISO8601.format($0))" } ?? "")
                    )
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (tok_...).")

        @Argument(help: "The token's id.") var id: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let token = try await services.access.revokeToken(id, of: nil)
                print("Revoked \(token.id) at \(ISO8601.format(token.revokedAt!)).")
            }
        }
    }
}

extension Users {
    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password for signing in; read from standard input."
        )

        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The user's sign-in name.") var upn: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                guard let password = readLine(strippingNewline: true) else {
                    throw Refusal.invalid(.invalidPassword, "Give the password on standard input.")
                }
                try await services.access.setPassword(password, for: UserPrincipalName(upn), in: TenantId(tenant))
                print("\(upn) may now sign in.")
            }
        }
    }
}
