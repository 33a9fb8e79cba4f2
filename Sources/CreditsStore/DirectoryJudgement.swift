package import CreditsCore

/// How a directory store judges a bulk change, inside the transaction that would write it:
/// every line first, and any refusal refuses the whole change (`RefusedLines`, each line named).
package enum DirectoryJudgement {
    /// Refuses each new user whose sign-in name is among `existing` or whose licenses break the rules.
    package static func judgeNewUsers(_ users: [NumberedLine<User>], existing: Set<UserPrincipalName>, creditsLicenseAvailable: Bool) throws {
        var refused: [LineError] = []
        for line in users {
            if existing.contains(line.value.upn) {
                refused.append(LineError(line: line.line, error: .userExists(line.value.upn)))
            } else if case let .failure(error) = LicenseRules.apply(
                LicenseChange(add: line.value.licenses),
                to: [],
                creditsLicenseAvailable: creditsLicenseAvailable
            ) {
                refused.append(LineError(line: line.line, error: error))
            }
        }
        guard refused.isEmpty else { throw RefusedLines(lines: refused) }
    }

    /// The users as each line's change leaves them; refuses each unknown user and each change
    /// `LicenseRules` refuses. Reports progress in lines judged.
    package static func applyLicenseChanges(
        _ changes: [NumberedLine<UserLicenseChange>],
        to current: [UserPrincipalName: User],
        creditsLicenseAvailable: Bool,
        progress: (Int) -> Void
    ) throws -> [User] {
        var refused: [LineError] = []
        var changed: [User] = []
        for (index, line) in changes.enumerated() {
            if index % 1000 == 0 { progress(index) }
            guard var user = current[line.value.upn] else {
                refused.append(LineError(line: line.line, error: .unknownUser(line.value.upn.rawValue)))
                continue
            }
            switch LicenseRules.apply(line.value.change, to: user.licenses, creditsLicenseAvailable: creditsLicenseAvailable) {
            case let .success(licenses):
                user.licenses = licenses
                changed.append(user)
            case let .failure(error):
                refused.append(LineError(line: line.line, error: error))
            }
        }
        progress(changes.count)
        guard refused.isEmpty else { throw RefusedLines(lines: refused) }
        return changed
    }
}
