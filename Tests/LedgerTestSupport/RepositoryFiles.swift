import Foundation

/// Files of this repository (the shipped policies/, docs/), found from this source file's path,
/// so tests read exactly what a user of the checkout reads.
public enum RepositoryFiles {
    public static let root: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    public static func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    /// A copy of the shipped policies/ folder, to edit in a test.
    public static func copyOfPolicies(in directory: TemporaryDirectory) throws -> String {
        let target = directory.path("policies")
        try FileManager.default.copyItem(atPath: path("policies"), toPath: target)
        return target
    }
}
