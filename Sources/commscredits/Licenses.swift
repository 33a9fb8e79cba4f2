import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine
import CreditsStore
import Foundation

struct Licenses: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Assign or remove a license for many users at once, from a CSV of sign-in names.",
        discussion:
            "The CSV has a header row with the column upn. Every line is checked before anything changes; if any is wrong, each bad line is listed with its number and reason and nothing is changed.",
        subcommands: [Assign.self, Remove.self]
    )

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign a license to every user in the file.")
        @OptionGroup var file: LicenseFileOptions
        func run() async throws { try await file.apply { LicenseChange(add: [$0]) } }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a license from every user in the file.")
        @OptionGroup var file: LicenseFileOptions
        func run() async throws { try await file.apply { LicenseChange(remove: [$0]) } }
    }
}

struct LicenseFileOptions: ParsableArguments {
    @Option(help: "The tenant id.") var tenant: String
    @Option(help: "The license, by its service-plan name: \(LicenseSku.allCases.map(\.rawValue).joined(separator: ", ")).") var sku: String
    @Option(help: "The CSV file of users (a header row with the column upn).") var csv: String
    @OptionGroup var options: DatabaseOption

    func apply(_ change: (LicenseSku) -> LicenseChange) async throws {
        try await withServices(options) { services in
            let sku = try LicenseSku.parse(sku)
            let names = try UserFiles.principalNames(try readFile(csv)).get()
            let progress = ProgressBar("Checking and applying", total: names.count)
            let changed = try await services.directory.changeLicenses(
                names.map { NumberedLine(line: $0.line, value: UserLicenseChange(upn: $0.value, change: change(sku))) },
                in: TenantId(tenant),
                progress: { progress.update($0) }
            )
            print("Changed \(sku.rawValue) for \(changed.count) users.")
        }
    }
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a tenant's users and set their passwords.",
        subcommands: [Import.self, Password.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add users from a CSV file: upn,displayName,usageLocation[,roles][,licenses].",
            discussion:
                "Roles and licenses are separated by ';'. Every line is checked first; if any is wrong, each bad line is listed and nobody is added."
        )

        @Option(help: "The tenant id.") var tenant: String
        @Option(help: "The CSV file of users.") var csv: String
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let users = try UserFiles.users(try readFile(csv)).get()
                try await services.directory.addUsers(users, to: TenantId(tenant))
                print("Imported \(users.count) users.")
            }
        }
    }
}

func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw Refusal(.unreadableFile, detail: "Cannot read the file '\(path)'.")
    }
    return data
}
