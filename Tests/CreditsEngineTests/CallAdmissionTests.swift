import CreditsCore
import CreditsEngine
import Testing

@Suite("Bounded call and usage requests in progress")
struct CallAdmissionTests {
    @Test(
        "Past the bound per tenant or in all, a request is refused at once with overloaded and Retry-After; once one finishes, the next is admitted"
    )
    func boundsPerTenantAndInAll() async throws {
        let admission = CallAdmission(limits: CallAdmission.Limits(inProgress: 3, inProgressPerTenant: 2))
        let entered = Counter()
        let opened = Counter()
        let a = TenantId("a")
        let b = TenantId("b")
        let c = TenantId("c")
        let held = [a, a, b].map { tenant in
            Task {
                try await admission.admit(tenant, step: "start") {
                    entered.increment()
                    while opened.value == 0 { try await Task.sleep(for: .milliseconds(1)) }
                }
            }
        }
        while entered.value < 3 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(admission.inProgress == 3)
        let tooManyForA = await refusal { try await admission.admit(a, step: "start") {} }
        #expect(tooManyForA?.code == .overloaded && tooManyForA?.kind == .overloaded && tooManyForA?.retryAfterSeconds == 1)
        let tooManyInAll = await refusal { try await admission.admit(c, step: "start") {} }
        #expect(tooManyInAll?.code == .overloaded, "c has none in progress, but the instance has 3")
        opened.increment()
        for task in held { try await task.value }
        #expect(admission.inProgress == 0)
        try await admission.admit(a, step: "start") {}
        try await admission.admit(c, step: "start") {}
    }

    @Test("A request that throws leaves the count as it was")
    func throwingWorkIsCounted() async throws {
        let admission = CallAdmission(limits: CallAdmission.Limits(inProgress: 1, inProgressPerTenant: 1))
        struct Failure: Error {}
        for _ in 0..<3 {
            await #expect(throws: Failure.self) { try await admission.admit(TenantId("a"), step: "end") { throw Failure() } }
        }
        #expect(admission.inProgress == 0)
    }

    private func refusal(_ work: () async throws -> Void) async -> Refusal? {
        do {
            try await work()
            return nil
        } catch {
            return error as? Refusal
        }
    }
}
