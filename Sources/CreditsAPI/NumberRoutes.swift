import CreditsCore
import CreditsEngine
import Foundation
import Hummingbird

/// The numbers and SIP addresses of a tenant's directory (`/v1/tenants/{tenantId}/numbers`):
/// who holds each, a user or a resource account, so that the telephony platform may name a
/// call by its number.
struct NumberRoutes {
    let directory: DirectoryService

    func add(to router: some RouterMethods<APIRequestContext>) {
        let numbers = router.group("v1/tenants/:tenantId/numbers")
        numbers.get { request, context in
            let tenantId = try context.tenantId(for: .assignLicenses)
            let limit = try request.limit()
            let after = try request.uri.queryParameters.get("after").map { text in
                do { return try DirectoryIdentity(text) } catch { throw Problem.badRequest("after is the next value of the previous page.") }
            }
            let upn = try request.uri.queryParameters.get("upn").map { try UserPrincipalName($0) }
            let held = try await directory.assignments(in: tenantId, holder: upn.map(NumberHolder.user), after: after, limit: limit)
            return NumberList(numbers: held.map(NumberBody.init), next: held.count == limit ? held.last?.identity.description : nil)
        }
        numbers.put(":number") { request, context in
            let tenantId = try context.tenantId(for: .manageUsers)
            let input = try await request.decodeJSON(NumberInput.self, context: context)
            let holder = try NumberHolder.parse(upn: input.upn, resourceAccount: input.resourceAccount)
            return NumberBody(try await directory.assign(context.directoryIdentity(), to: holder, in: tenantId))
        }
        numbers.delete(":number") { _, context in
            let tenantId = try context.tenantId(for: .manageUsers)
            try await directory.unassign(context.directoryIdentity(), in: tenantId)
            return Response(status: .noContent)
        }
        numbers.post("import") { request, context in
            let tenantId = try context.tenantId(for: .manageUsers)
            let assignments = try UserFiles.numbers(try await request.bodyBytes(context: context), in: tenantId).get()
            try await directory.assign(assignments, in: tenantId)
            return NumberImportResult(assigned: assignments.count)
        }
    }
}

extension APIRequestContext {
    func directoryIdentity() throws -> DirectoryIdentity {
        do {
            return try DirectoryIdentity(parameters.require("number").removingPercentEncoding ?? "")
        } catch let error as Refusal {
            throw Problem(error)
        }
    }
}

struct NumberInput: Decodable {
    let upn: String?
    let resourceAccount: String?
}

struct NumberBody: ResponseEncodable {
    let number: String
    let upn: String?
    let resourceAccount: String?

    init(_ assignment: NumberAssignment) {
        number = assignment.identity.description
        switch assignment.holder {
        case let .user(upn):
            self.upn = upn.rawValue
            resourceAccount = nil
        case let .resourceAccount(name):
            upn = nil
            resourceAccount = name
        }
    }
}

struct NumberList: ResponseEncodable {
    let numbers: [NumberBody]
    let next: String?
}

struct NumberImportResult: ResponseEncodable {
    let assigned: Int
}
