/// Who may buy credits (`DOMAIN.md` section 2): the three refusals, each with its remedy.
public enum PurchaseEligibility {
    /// The refusal for `tenant` paying through `agreement` (nil for a card), or nil when it may
    /// buy. The admin center, the API and auto-recharge all ask here.
    public static func refusal(for tenant: Tenant, payingWith agreement: EnterpriseAgreement?) -> Refusal? {
        let account = tenant.billingAccount
        if account.commerceModel.isPostUsage {
            return Refusal(
                .purchaseNotAllowedPostUsage,
                detail:
                    "This tenant is billed after use (\(account.commerceModel.rawValue.uppercased())): Communications Credits are prepaid and cannot be bought.",
                remedy: "Nothing to buy: minutes beyond your plans are billed after use. Turn auto-recharge off so that post-usage billing can start."
            )
        }
        if account.channel == .csp {
            return Refusal(
                .purchaseNotAllowedCsp,
                detail: "This tenant's calling and conferencing plans come through a Cloud Solution Provider, so credits cannot be bought here.",
                remedy:
                    "Buy your Calling and Audio Conferencing plans through Web Direct or a Volume Licensing agreement to fund them with Communications Credits."
            )
        }
        // A Volume Licensing tenant buys under its agreements: paying by card does not lift a
        // region conflict that every agreement has (seed 003, "Conflicting organization addresses").
        let judged = agreement.map { [$0] } ?? (account.channel == .volumeLicensing ? account.agreements : [])
        if let agreement = judged.first, judged.allSatisfy({ $0.billingCountry != tenant.country }) {
            return Refusal(
                .purchaseNotAllowedRegionConflict,
                detail:
                    "The organization is in \(tenant.country.name) but Enterprise Agreement \(agreement.number) bills to \(agreement.billingCountry.name).",
                remedy:
                    "Open a support ticket from the admin center; support can work with you to mitigate this until a permanent solution is in place."
            )
        }
        return nil
    }
}
