import Foundation

/// Where the database is: `DATABASE_URL`, or else the project's embedded server, whose
/// settings `scripts/postgres.sh` keeps under `.data/` of the project folder.
public enum DatabaseLocation {
    /// The URL to connect to, or nil when there is neither `DATABASE_URL` nor an embedded
    /// server's data folder to be found.
    public static func url(environment: [String: String]) -> String? {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        guard let data = embeddedDataFolder(),
              let password = try? String(contentsOf: data.appendingPathComponent("postgres.password"), encoding: .utf8)
        else { return nil }
        let port = environment["EMBEDDED_PG_PORT"].flatMap(Int.init) ?? 54329
        let secret = password.trimmingCharacters(in: .whitespacesAndNewlines)
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "postgresql://context0:\(secret)@127.0.0.1:\(port)/context0"
    }

    /// `.data` in the working directory or in a folder above the executable.
    static func embeddedDataFolder() -> URL? {
        ProjectFolders.searchOrder.map { $0.appendingPathComponent(".data") }
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("postgres.password").path) }
    }
}

/// Where a program of this project looks for the project's files (`sql/`, `.data/`,
/// `.deps/`): the working directory, then the executable's folder and its parents, so
/// `.build/release/context0-admin` finds them from anywhere.
public enum ProjectFolders {
    public static var searchOrder: [URL] {
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        return candidates
    }
}
