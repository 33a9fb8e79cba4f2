import APIClient
import CreditsAPI
import CreditsApp
import Crypto
import Foundation
import HummingbirdTesting
import OpenAPIRuntime
import Testing

/// The API through the client generated from openapi.yaml: every request is built and every
/// answer decoded from the document's types, so these tests fail when the server and the
/// document disagree on a path, a status, a field or a problem code.
@Suite("The HTTP API through the typed client")
struct TypedAPITests {
    static let card = Components.Schemas.PaymentMethodInput(_type: .card, token: "tok_visa")

    @Test("A tenant buys credits and reads its balance, lots, journal and invoices; a repeat and a declined card answer as documented")
    func buyingAndReading() async throws {
        try await TestServer.run { testClient, _ in
            let api = typedClient(testClient)
            let input = Components.Schemas.TenantInput(name: "Contoso", country: "US", currency: "USD", channel: .webDirect, commerceModel: .classic)
            let created = try await api.createTenant(body: .json(input)).created.body.json
            let tenant = created.id
            #expect(created.name == "Contoso" && created.usageRetentionDays > 0)
            #expect(try await api.listTenants().ok.body.json.tenants.map(\.id).contains(tenant))
            #expect(try await api.getEligibility(path: .init(tenantId: tenant)).ok.body.json.allowed)

            let order = Components.Schemas.PurchaseInput(amountMinor: 25_000, paymentMethod: Self.card)
            let bought = try await api.purchaseCredits(path: .init(tenantId: tenant), headers: .init(idempotencyKey: "p1"), body: .json(order))
                .created.body.json
            let again = try await api.purchaseCredits(path: .init(tenantId: tenant), headers: .init(idempotencyKey: "p1"), body: .json(order))
                .created.body.json
            #expect(again == bought, "a repeat under its key answers the first purchase")

            let declined = Components.Schemas.PurchaseInput(
                amountMinor: 1_000,
                paymentMethod: .init(_type: .card, token: "tok_chargeDeclined")
            )
            let refusal = try await api.purchaseCredits(path: .init(tenantId: tenant), headers: .init(idempotencyKey: "p2"), body: .json(declined))
            guard case let .default(status, problem) = refusal else {
                Issue.record("a declined card is a problem, not \(refusal)")
                return
            }
            let declinedProblem = try problem.body.applicationProblemJson
            #expect(status == 402 && declinedProblem.code == .paymentDeclined && declinedProblem.remedy != nil)

            let credits = try await api.getCredits(path: .init(tenantId: tenant)).ok.body.json
            #expect(credits.balanceMinor == 25_000 && credits.availableMinor == 25_000 && credits.lots.count == 1)
            #expect(credits.lots.first?.id == bought.lotId && credits.lots.first?.remainingMinor == 25_000)
            #expect(credits.paymentMethod?.lastFour == "4242")
            let journal = try await api.listTransactions(path: .init(tenantId: tenant)).ok.body.json.transactions
            #expect(journal.map(\.kind) == ["purchase"] && journal.first?.balanceAfterMinor == 25_000)
            let invoices = try await api.listInvoices(path: .init(tenantId: tenant)).ok.body.json.invoices
            #expect(invoices.map(\.id) == [bought.invoiceId] && invoices.first?.amountMinor == 25_000)

            let recharge = Components.Schemas.AutoRecharge(enabled: true, rechargeAmountMinor: 10_000, triggerAmountMinor: 2_000)
            #expect(try await api.setAutoRecharge(path: .init(tenantId: tenant), body: .json(recharge)).ok.body.json == recharge)
            #expect(try await api.getCredits(path: .init(tenantId: tenant)).ok.body.json.autoRecharge == recharge)
        }
    }

    @Test("A call started, extended and ended through the typed client, then its usage record and the pool it drew on")
    func aCallAndItsRecord() async throws {
        try await TestServer.run(testClock: true) { testClient, _ in
            let helper = TestAPI()
            try await helper.putSampleDeck(testClient)
            try await helper.tailspin(testClient)
            let api = typedClient(testClient)
            let start = "2027-03-01T09:00:00Z"
            _ = try await api.advanceTestClock(body: .json(.init(to: start))).ok
            #expect(try await api.getTestClock().ok.body.json.now == start)

            let path = Operations.StartCall.Input.Path(tenantId: "tailspin", sessionId: "typed-1")
            let call = Components.Schemas.CallStartInput(
                requestNumber: 1,
                callType: "user_out",
                upn: "dom@tailspin.com",
                callerNumber: "+14255550100",
                calleeNumber: "+12065550100",
                startTime: start
            )
            let granted = try await api.startCall(path: path, body: .json(call)).ok.body.json
            #expect(granted.allowed && granted.capability == "MCOPSTN5" && granted.grantedSeconds > 0)
            let more = try await api.updateCall(
                path: .init(tenantId: "tailspin", sessionId: "typed-1"),
                body: .json(.init(requestNumber: 2, usedSeconds: 60))
            ).ok.body.json
            #expect(more.allowed)
            let ended = try await api.endCall(
                path: .init(tenantId: "tailspin", sessionId: "typed-1"),
                body: .json(.init(requestNumber: 3, durationSeconds: 90, endTime: "2027-03-01T09:01:30Z"))
            ).ok.body.json
            #expect(ended.durationSeconds == 90 && ended.capability == "MCOPSTN5" && ended.chargeMinor == 0, "a pool pays a domestic call")

            let records = try await api.listUsageRecords(
                path: .init(tenantId: "tailspin"),
                query: .init(from: "2027-03-01T00:00:00Z", to: "2027-03-02T00:00:00Z")
            ).ok.body.json.records
            #expect(records.map(\.usageId) == [ended.usageId])
            #expect(records.first?.durationSeconds == 90 && records.first?.upn == "dom@tailspin.com" && records.first?.pool != nil)
            let pools = try await api.listPools(path: .init(tenantId: "tailspin"), query: .init(month: "2027-03")).ok.body.json
            let used = pools.pools.first { $0.pool == records.first?.pool }
            #expect(pools.month == "2027-03" && used?.unit == .seconds && used?.used == 120, "90 seconds use 2 whole minutes: \(pools)")
            #expect(used.map { $0.remaining == $0.capacity - 120 } == true)
        }
    }

    @Test("Refusals decode as the document's problems, each with its stable code")
    func refusalsAreDocumentedProblems() async throws {
        try await TestServer.run(testClock: true) { testClient, _ in
            try await TestAPI().tailspin(testClient)
            let api = typedClient(testClient)
            guard case let .default(status, unknown) = try await api.getCredits(path: .init(tenantId: "nobody")) else {
                Issue.record("another tenant's credits are a problem")
                return
            }
            #expect(try status == 404 && unknown.body.applicationProblemJson.code == .unknownTenant)
            let badCountry = Components.Schemas.TenantInput(
                name: "X",
                country: "Atlantis",
                currency: "USD",
                channel: .webDirect,
                commerceModel: .classic
            )
            guard case let .default(status, country) = try await api.createTenant(body: .json(badCountry)) else {
                Issue.record("an unknown country is a problem")
                return
            }
            let countryProblem = try country.body.applicationProblemJson
            #expect(status == 422 && countryProblem.code == .invalidCountry && countryProblem.status == 422)
            let offTheClock = Components.Schemas.CallStartInput(
                requestNumber: 1,
                callType: "user_out",
                callerNumber: "+14255550100",
                calleeNumber: "+12065550100",
                startTime: "1999-01-01T00:00:00Z"
            )
            guard
                case let .default(status, late) = try await api.startCall(path: .init(tenantId: "tailspin", sessionId: "s"), body: .json(offTheClock))
            else {
                Issue.record("a call started off the clock is a problem")
                return
            }
            let lateProblem = try late.body.applicationProblemJson
            #expect(status == 422 && lateProblem.code == .startTimeOutOfRange, "\(status) \(lateProblem)")
        }
    }

    @Test("The typed client was generated from openapi.yaml as it is now (run Tests/APIClient/generate after changing it)")
    func theClientIsGeneratedFromTheDocument() {
        let digest = SHA256.hash(data: OpenAPIDocument.bytes).map { String(format: "%02x", $0) }.joined()
        #expect(digest == generatedFromDocumentDigest)
    }
}
