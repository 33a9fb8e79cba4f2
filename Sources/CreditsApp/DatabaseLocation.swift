public import CreditsStore
import CreditsStoreSQLite

/// Where the data lives, as given by `--database`: `sqlite:PATH` (a file, created and
/// migrated on first use).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)

    /// A file in the working directory.
    public static let defaultArgument = "sqlite:commscredits.sqlite"

    public init(_ argument: String) throws(DatabaseLocationError) {
        if argument.hasPrefix("sqlite:") {
            let path = String(argument.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw DatabaseLocationError(argument: argument) }
            self = .sqlite(path: path)
        } else {
            throw DatabaseLocationError(argument: argument)
        }
    }

    public var description: String {
        switch self {
        case let .sqlite(path): "sqlite:\(path)"
        }
    }

    /// Opens every store over the database, creating and migrating it where needed.
    public func openStores() throws -> Stores {
        switch self {
        case let .sqlite(path):
            return try SQLiteStores(path: path).stores
        }
    }
}

public struct DatabaseLocationError: Error, CustomStringConvertible {
    public let argument: String
    public var description: String {
        "'\(argument)' is not a database this service can use; give sqlite:PATH, for example \(DatabaseLocation.defaultArgument)."
    }
}
