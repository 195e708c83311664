import Foundation

/// Where a checkout of this project keeps its files, for the programs run from it (`make
/// run`, `make test`, `.build/…/context0-*`): `.data/` (the embedded PostgreSQL's password,
/// the development JWT secret), `.deps/` (the embedding model) and `sql/` (migrations).
/// Each is looked for in the working directory, then in the executable's folder and its
/// parents, so `.build/release/context0-admin` finds them from anywhere. The only place
/// that knows this layout; a deployment that sets `DATABASE_URL`, `JWT_SECRET`,
/// `MINILM_MODEL_DIR` and `MIGRATIONS_DIR` needs none of it.
public enum ProjectLayout {
    /// The folders searched, in order.
    public static var searchOrder: [URL] {
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        return candidates
    }

    /// `DATABASE_URL`, else the embedded server `scripts/postgres.sh` keeps in `.data/`
    /// (its password file, port `EMBEDDED_PG_PORT` or 54329); nil when there is neither.
    public static func databaseURL(environment: [String: String]) -> String? {
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        guard let password = firstFile(".data/postgres.password") else { return nil }
        let port = environment["EMBEDDED_PG_PORT"].flatMap(Int.init) ?? 54329
        let secret = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "postgresql://context0:\(secret)@127.0.0.1:\(port)/context0"
    }

    /// The development token secret `make run` generates once, `.data/jwt-secret`.
    public static var developmentJWTSecret: String? { firstFile(".data/jwt-secret") }

    /// The folder holding `.deps/` (the wheels, the model); the working directory when there is none.
    public static var dependenciesRoot: String {
        searchOrder.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(".deps").path) }?.path
            ?? FileManager.default.currentDirectoryPath
    }

    /// `MIGRATIONS_DIR` if set, else the first `sql/` folder holding `.sql` files.
    public static func migrationsFolder(environment: [String: String]) -> URL? {
        if let explicit = environment["MIGRATIONS_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        return searchOrder.map { $0.appendingPathComponent("sql") }
            .first { ((try? FileManager.default.contentsOfDirectory(atPath: $0.path)) ?? []).contains { $0.hasSuffix(".sql") } }
    }

    /// The trimmed text of the first non-empty file at `path` under a searched folder.
    private static func firstFile(_ path: String) -> String? {
        for folder in searchOrder {
            if let text = try? String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
                return text
            }
        }
        return nil
    }
}
