import Foundation

/// The API's contract, `Resources/openapi.yaml`, served at `/openapi.yaml`. A test holds it and
/// the router to the same paths and methods.
public enum OpenAPIDocument {
    public static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) else {
            preconditionFailure("openapi.yaml is missing from the CreditsAPI bundle")
        }
        return Array(data)
    }()
}
