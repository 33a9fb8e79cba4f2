import ArgumentParser
import CreditsApp
import CreditsCore
import CreditsEngine

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, change and show tenants and how they are billed.",
        subcommands: [Create.self, Update.self, Show.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant and open its credits account.")

        @Option(help: "The tenant id: letters, digits, '-', '_' or '.'.") var tenant: String
        @Option(help: "The organization's name.") var name: String
        @Option(help: "The organization's country (ISO 3166-1 alpha-2, for example US).") var country: String
        @Option(help: "The billing currency (ISO 4217, for example USD).") var currency: String
        @Option(help: "webDirect, volumeLicensing or csp.") var channel = "webDirect"
        @Option(help: "classic (prepaid credits), nce or mca (billed after use).") var commerceModel = "classic"
        @Option(help: "An Enterprise Agreement as NUMBER:BILLINGCOUNTRY; repeat for several.") var agreement: [String] = []
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                guard let currency = Currency(code: currency) else {
                    throw Refusal.invalid(.invalidCurrency, "'\(self.currency)' is not an ISO 4217 currency code.")
                }
                let directory = services.directory
                let tenant = try Tenant(
                    id: TenantId(tenant),
                    name: name,
                    country: CountryCode.parse(country, field: .invalidCountry),
                    currency: currency,
                    billingAccount: BillingAccount(
                        channel: SalesChannel.parse(channel, field: .invalidChannel),
                        commerceModel: CommerceModel.parse(commerceModel, field: .invalidCommerceModel),
                        agreements: agreement.map(parseAgreement)
                    ),
                    createdAt: SystemClock().now()
                )
                try await directory.createTenant(tenant)
                printTenant(tenant)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a tenant's name, country, channel, agreements, commerce model or usage retention."
        )

        @Option(help: "The tenant id.") var tenant: String
        @Option var name: String?
        @Option var country: String?
        @Option(help: "webDirect, volumeLicensing or csp.") var channel: String?
        @Option(help: "classic, nce or mca.") var commerceModel: String?
        @Option(help: "NUMBER:BILLINGCOUNTRY; replaces the agreements when given.") var agreement: [String] = []
        @Option(help: "How many days usage records are kept, 30 to 365.") var usageRetentionDays: Int64?
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let tenant = try await services.directory.updateTenant(
                    TenantId(tenant),
                    name: name,
                    country: country.map { try CountryCode.parse($0, field: .invalidCountry) },
                    channel: channel.map { try SalesChannel.parse($0, field: .invalidChannel) },
                    commerceModel: commerceModel.map { try CommerceModel.parse($0, field: .invalidCommerceModel) },
                    agreements: agreement.isEmpty ? nil : agreement.map(parseAgreement),
                    usageRetention: usageRetentionDays.map(UsageRetention.init(days:))
                )
                printTenant(tenant)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tenant, or every tenant.")

        @Option(help: "The tenant id; all tenants when left out.") var tenant: String?
        @OptionGroup var options: DatabaseOption

        func run() async throws {
            try await withServices(options) { services in
                let directory = services.directory
                if let tenant {
                    printTenant(try await directory.tenant(TenantId(tenant)))
                } else {
                    try await directory.tenants().forEach(printTenant)
                }
            }
        }
    }
}

/// Opens the data, runs `body` with the services over it and closes the database after; a
/// refusal is reported as the product words it (`reportingRefusals`).
func withServices(_ options: DatabaseOption, _ body: (CreditsServices) async throws -> Void) async throws {
    try await reportingRefusals {
        try await DatabaseLocation(options.database).withServices(body)
    }
}

private func parseAgreement(_ text: String) throws -> EnterpriseAgreement {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw Refusal.invalid(.invalidAgreements, "Give an agreement as NUMBER:BILLINGCOUNTRY, not '\(text)'.") }
    return try EnterpriseAgreement(number: parts[0], billingCountry: CountryCode.parse(parts[1], field: .invalidAgreements))
}

private func printTenant(_ tenant: Tenant) {
    let account = tenant.billingAccount
    let agreements = account.agreements.map { "\($0.number) (billed to \($0.billingCountry))" }.joined(separator: ", ")
    print(
        "\(tenant.id): \(tenant.name), \(tenant.country), \(tenant.currency); \(account.channel.rawValue), \(account.commerceModel.rawValue)"
            + (agreements.isEmpty ? "" : "; agreements \(agreements)") + "; usage kept \(tenant.usageRetention.days) days"
    )
}

/// Prints a refusal as the product words it (every bad line of a file, too) and exits with
/// status 1; anything else is thrown on.
func reportingRefusals(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as Refusal {
        printError(error.description)
        throw ExitCode.failure
    } catch let refused as RefusedLines {
        printError(refused.description)
        throw ExitCode.failure
    }
}

func printError(_ text: String) {
    FileHandleOutput.standardError.write(text + "\n")
}
