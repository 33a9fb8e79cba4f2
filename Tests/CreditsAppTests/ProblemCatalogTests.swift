import CreditsAPI
import CreditsCore
import Foundation
import HTTPTypes
import Testing

/// The one list of problem codes, and the two places readers find it.
@Suite("Problem codes")
struct ProblemCatalogTests {
    func file(_ path: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../" + path)
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("openapi.yaml and docs/problems.md hold the list as ProblemCode renders it (commscredits problems writes both)")
    func renderedFiles() throws {
        #expect(try file("Sources/CreditsAPI/Resources/openapi.yaml").contains(ProblemCatalog.openAPISchema))
        #expect(try file("docs/problems.md") == ProblemCatalog.markdown)
    }

    @Test("Every code has a sentence and a remedy; the invalid… codes of fields are 422 and name their field")
    func everyCodeIsExplained() {
        for code in ProblemCode.allCases {
            #expect(code.meaning.hasSuffix(".") && code.remedy.hasSuffix("."), "\(code)")
        }
        #expect(ProblemCode.invalidMonthlyLimitMinor.field == "monthlyLimitMinor")
        #expect(ProblemCode.invalidMonthlyLimitMinor.httpStatus.code == 422 && ProblemCode.invalidRequest.httpStatus.code == 400)
        #expect(ProblemCode.allCases.filter { $0.rawValue.hasPrefix("invalid") && $0.kind != .invalid }.map(\.rawValue) == ["invalidRequest"])
    }
}
