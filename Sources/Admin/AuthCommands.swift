import ArgumentParser
import Auth
import Settings
import Core
import Foundation
import Postgres

/// `context0-admin token`: prints a JWT signed with `JWT_SECRET` (or the development secret).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Print a JWT for a user.")

    @Option(help: "The user id (the token's sub).") var user: String
    @Option(help: "The organization id (org_id).") var org: String?
    @Option(help: "Comma-separated scopes (default: every scope but admin).") var scopes: String?
    @Option(help: "Lifetime, e.g. 1h, 30m, 7d.") var ttl = "1h"

    func run() throws {
        guard let configuration = AuthConfiguration(environment: ProcessInfo.processInfo.environment, developmentSecret: ProjectLayout.developmentJWTSecret) else {
            throw AdminError("JWT_SECRET is not set and there is no development secret (.data/jwt-secret): run `make run` once, or set JWT_SECRET")
        }
        guard !user.isEmpty, user.count <= 256 else { throw ValidationError("--user must be 1-256 characters") }
        guard org.map({ !$0.isEmpty && $0.count <= 256 }) ?? true else { throw ValidationError("--org must be 1-256 characters") }
        guard let lifetime = Output.duration(ttl), lifetime > .zero else { throw ValidationError("--ttl must look like 30m, 1h, 7d") }
        let scopeList = try scopes.map(Self.parseScopes)
        let now = Date().timeIntervalSince1970.rounded(.down)
        let claims = JSONWebToken.Claims(sub: user, org_id: org, scopes: scopeList, exp: now + lifetime.seconds.rounded(), iat: now)
        print(try JSONWebToken(secret: configuration.jwtSecret).sign(claims))
    }

    static func parseScopes(_ text: String) throws -> [String] {
        try text.split(separator: ",").map { name in
            let name = name.trimmingCharacters(in: .whitespaces)
            guard Scope(rawValue: name) != nil else {
                throw ValidationError("unknown scope \"\(name)\"; known: " + Scope.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return name
        }
    }
}

/// `context0-admin keys`: API keys, shown once, stored as hashes.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key (printed once).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The user the key acts as.") var user: String
        @Option(help: "The key's organization.") var org: String?
        @Option(help: "Comma-separated scopes (default: every scope but admin).") var scopes: String?
        @Option(help: "A name to recognise the key by.") var name = ""

        func run() throws {
            guard !user.isEmpty, user.count <= 256 else { throw ValidationError("--user must be 1-256 characters") }
            guard org.map({ !$0.isEmpty && $0.count <= 256 }) ?? true else { throw ValidationError("--org must be 1-256 characters") }
            let scopeList = try scopes.map { try TokenCommand.parseScopes($0).compactMap(Scope.init(rawValue:)) }
            let (record, key) = try UserStore().createKey(userID: user, organizationID: org, name: name, scopes: scopeList, on: database.connect())
            if output.json { return try Output.json(["id": record.id.uuidString.lowercased(), "key": key]) }
            print("key \(record.id.uuidString.lowercased()) for user \(user) (shown once, keep it safe):")
            print(key)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never the keys themselves).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this user's keys.") var user: String?

        func run() throws {
            let keys = try UserStore().keys(userID: user, on: database.connect())
            if output.json { return try Output.json(keys) }
            Output.table(["ID", "USER", "ORG", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"], keys.map {
                [$0.id.uuidString.lowercased(), $0.userID, $0.organizationID ?? "-", $0.name, $0.keyPrefix + "…",
                 Output.time($0.createdAt), Output.time($0.lastUsedAt), Output.time($0.revokedAt)]
            })
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key: it stops working at once.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The key's id.") var id: String

        func run() throws {
            guard let uuid = UUID(uuidString: id) else { throw ValidationError("not a key id: \(id)") }
            guard try UserStore().revokeKey(id: uuid, on: database.connect()) else { throw AdminError("no live key \(id)") }
            print("key \(id) revoked")
        }
    }
}

/// `context0-admin users`: list, disable, enable.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "List users; disable and enable them.",
        subcommands: [List.self, Disable.self, Enable.self, SetPlan.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Users, oldest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "At most this many.") var limit = 100

        func run() throws {
            let users = try UserStore().users(limit: max(1, limit), on: database.connect())
            if output.json { return try Output.json(users) }
            Output.table(["ID", "ORG", "PLAN", "DISABLED", "CREATED", "LAST SEEN"], users.map {
                [$0.id, $0.organizationID ?? "-", $0.plan, $0.disabledAt.map { Output.time($0) } ?? "no", Output.time($0.createdAt), Output.time($0.lastSeenAt)]
            })
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: every request of theirs is refused.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The user id.") var id: String
        @Option(help: "Why (kept with the user).") var reason: String?

        func run() throws {
            guard try UserStore().setDisabled(true, userID: id, reason: reason, on: database.connect()) else { throw AdminError("no user \(id)") }
            print("user \(id) disabled")
        }
    }

    struct SetPlan: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-plan", abstract: "Put a user on a plan (free, pro, enterprise): its rate limits, quotas and prices.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The user id.") var id: String
        @Argument(help: "The plan.") var plan: String

        func run() throws {
            guard try UserStore().setPlan(plan, userID: id, on: database.connect()) else { throw AdminError("no user \(id), or no plan \(plan)") }
            print("user \(id) is on plan \(plan)")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The user id.") var id: String

        func run() throws {
            guard try UserStore().setDisabled(false, userID: id, reason: nil, on: database.connect()) else { throw AdminError("no user \(id)") }
            print("user \(id) enabled")
        }
    }
}
