import ArgumentParser
import CreditsCore
import CreditsEngine
import Foundation

struct Numbers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assign a tenant's phone numbers and SIP addresses to its users and resource accounts, and list them.",
        subcommands: [Import.self, List.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign numbers from a CSV file: number,upn,resourceAccount.",
            discussion:
                "number is E.164 (+14255550100) or a SIP address (sip:ann@contoso.com); each line names a user (upn) or a resource account (its name), one of the two. A number the tenant holds moves to its new holder; one another tenant holds is refused. Every line is checked first; if any is wrong, each bad line is listed and nothing is assigned."
        )

        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The CSV file of numbers.") var csv: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let assignments = try UserFiles.numbers(try readFile(csv), in: TenantId(tenant)).get()
                try await services.directory.assign(assignments, in: TenantId(tenant))
                print("Assigned \(assignments.count) numbers.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the tenant's numbers as CSV (number,upn,resourceAccount).")

        @Option(help: "The tenant id.") var tenant: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let directory = services.directory
                print("number,upn,resourceAccount")
                var after: DirectoryIdentity?
                repeat {
                    let page = try await directory.assignments(in: TenantId(tenant), after: after, limit: 1000)
                    for held in page {
                        let upn = held.holder.upn?.rawValue ?? ""
                        let account =
                            if case let .resourceAccount(name) = held.holder { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } else
                            { "" }
                        print("\(held.identity),\(upn),\(account)")
                    }
                    after = page.count == 1000 ? page.last?.identity : nil
                } while after != nil
            }
        }
    }
}
