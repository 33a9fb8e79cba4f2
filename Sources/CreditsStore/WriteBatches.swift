/// How a group commit orders the writes waiting for it: in arrival order, except that those
/// submitted under one batch key run together, at the place of the first (`GroupCommitWriter`,
/// `TenantCommits`).
package enum WriteBatches {
    /// The items grouped by their keys, as lists of their positions; an item without a key is a batch of its own.
    package static func grouping<Item>(_ items: [Item], by key: (Item) -> String?) -> [[Int]] {
        var batches: [[Int]] = []
        var batchIndex: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            if let key = key(item), let existing = batchIndex[key] {
                batches[existing].append(index)
            } else {
                if let key = key(item) { batchIndex[key] = batches.count }
                batches.append([index])
            }
        }
        return batches
    }
}
