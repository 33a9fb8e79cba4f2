import CreditsCore
import HTTPTypes

/// Every problem code with its HTTP status, rendered for readers: the table of `docs/problems.md`
/// and the `ProblemCode` schema of `openapi.yaml` (`commscredits problems` prints both; a test
/// holds the two files to them).
public enum ProblemCatalog {
    /// The Markdown page: a table of every code, in the order `ProblemCode` lists them.
    public static var markdown: String {
        var lines = [
            "# Problem codes",
            "",
            "<!-- Rendered from ProblemCode (Sources/CreditsCore/ProblemCode.swift) by `commscredits problems --format markdown`; do not edit by hand. -->",
            "",
            "Every refusal or error answer of the API is an RFC 9457 problem (`application/problem+json`) whose",
            "`code` is one of these. The `detail` of an answer says what was wrong with this request; `remedy`",
            "what to do (the code's own, below, when the refusal has none of its own). A call that is refused",
            "(`allowed: false`) is not a problem: its `reason` is listed in [integration.md](integration.md).",
            "",
            "| code | HTTP status | when | what to do |",
            "| --- | --- | --- | --- |",
        ]
        for code in ProblemCode.allCases {
            let status = code.kind == .http ? "the framework's (400-499)" : "\(code.httpStatus.code) \(code.httpStatus.reasonPhrase)"
            lines.append("| `\(code)` | \(status) | \(code.meaning) | \(code.remedy) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `ProblemCode` schema of the OpenAPI document, as it sits under `components.schemas`.
    public static var openAPISchema: String {
        var rows: [String] = []
        var row = ""
        for name in ProblemCode.allCases.map(\.rawValue) {
            if !row.isEmpty, row.count + name.count > 100 {
                rows.append(row + ",")
                row = ""
            }
            row += row.isEmpty ? name : ", " + name
        }
        rows.append(row)
        return """
                ProblemCode:
                  type: string
                  description: The stable code of a problem; docs/problems.md says when each comes and what to do.
                  enum: [\(rows.joined(separator: "\n         "))]

            """
    }
}
