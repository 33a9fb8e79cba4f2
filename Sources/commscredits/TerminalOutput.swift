import Glibc

/// Writes to standard error, where messages and progress go so that standard output stays
/// clean for scripts.
enum FileHandleOutput {
    case standardError

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Whether a person is watching: progress is drawn only on a terminal.
    var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// A one-line progress bar on standard error, redrawn in place; silent when not on a terminal.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let enabled = FileHandleOutput.standardError.isTerminal
    private var lastDrawn = -1

    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let filled = percent * 30 / 100
        FileHandleOutput.standardError.write(
            "\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: 30 - filled))] \(percent)% \(done)/\(total)"
        )
        if done >= total { FileHandleOutput.standardError.write("\n") }
    }
}
