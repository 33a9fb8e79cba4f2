public import Hummingbird

/// The context of every request to the API.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// JSON bodies stay small; CSV uploads (users, rate decks) are the largest bodies accepted.
    public var maxUploadSize: Int { 16 * 1024 * 1024 }
}
