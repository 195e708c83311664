import Foundation
import Postgres

/// The project folder holding `.deps/` (the wheels, the model), found from the working
/// directory or above the executable; the working directory when there is none.
public enum ProjectRoot {
    public static var path: String {
        ProjectFolders.searchOrder
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(".deps").path) }?
            .path ?? FileManager.default.currentDirectoryPath
    }
}
