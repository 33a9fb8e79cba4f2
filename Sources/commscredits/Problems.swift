import ArgumentParser
import CreditsAPI

/// Prints the list of problem codes as the docs and the OpenAPI document hold it.
struct Problems: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every problem code the API answers with: its HTTP status, when it comes and what to do.",
        discussion:
            "--format markdown is docs/problems.md; --format openapi is the ProblemCode schema of openapi.yaml. A test fails when either file differs."
    )
    @Option(help: "markdown or openapi.") var format = "markdown"

    func validate() throws {
        guard ["markdown", "openapi"].contains(format) else { throw ValidationError("--format is markdown or openapi.") }
    }

    func run() {
        print(format == "markdown" ? ProblemCatalog.markdown : ProblemCatalog.openAPISchema, terminator: "")
    }
}
