import Auth
import Core
import Embedding
import Foundation
import Hummingbird
import Postgres

/// The Context API (`/api/v1/context/*`), answering exactly as the Context API specification says.
struct ContextRoutes: Sendable {
    let pool: PostgresPool
    let store: ContextStore
    let intake: ContextIntake
    let embedder: any Embedder
    let metadataLimits: MetadataLimits

    func add(to routes: ProtectedRoutes) {
        routes.post("add", .needs(.contextWrite, quotas: [.embeddedChunks, .storedBytes]), use: add)
        routes.post("search", .needs(.contextRead, class: .search), use: search)
        routes.post("delete", .needs(.contextWrite), use: delete)
        routes.get("view", .needs(.contextRead), use: view)
        routes.get("view/docs", AccessRule.needs(.contextRead).disabledAnswer(AccessRule.paymentRequired), use: viewDocuments)
    }

    /// 201 once the documents, their nodes and their embedding jobs are committed: listed
    /// and found by keyword from the next request on, by meaning once embedded.
    @Sendable func add(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<ContextViews.Added> {
        let caller = try context.caller()
        let new = try ContextRequests.add(try await JSONBody(request), caller: caller, limits: metadataLimits)
        return EditedResponse(status: .created, response: try await add(new))
    }

    /// Adds the documents, for the REST route and the MCP tool.
    func add(_ new: NewContext) async throws -> ContextViews.Added {
        ContextViews.Added(try await intake.add(new))
    }

    /// 202 with `{"results": [{contextId, contextData, …}]}`, best first.
    @Sendable func search(_ request: Request, context: Context0RequestContext) async throws -> EditedResponse<ContextViews.SearchResults> {
        let caller = try context.caller()
        let search = try ContextRequests.search(try await JSONBody(request), caller: caller, limits: metadataLimits)
        return EditedResponse(status: .accepted, response: try await self.search(search))
    }

    /// The search itself, for the REST route and the MCP tool.
    func search(_ search: ContextRequests.Search) async throws -> ContextViews.SearchResults {
        let embedding = try await embedder.embed(search.query)
        let query = ContextQuery(
            caller: search.tenant, text: search.query, embedding: embedding, minimumSimilarity: search.minimum,
            maximumSimilarity: search.maximum, scope: search.scope, metadata: search.metadata, limit: search.limit)
        let hits = try await pool.withConnection { [store] in try store.search(query, on: $0) }
        return ContextViews.SearchResults(results: hits.map(ContextViews.Hit.init))
    }

    /// 204; deleting what does not exist is not an error.
    @Sendable func delete(_ request: Request, context: Context0RequestContext) async throws -> Response {
        let caller = try context.caller()
        let (target, tenant) = try ContextRequests.delete(try await JSONBody(request), caller: caller)
        _ = try await pool.withTransaction { [store] in try store.delete(target, in: tenant, on: $0) }
        return Response(status: .noContent)
    }

    @Sendable func view(_ request: Request, context: Context0RequestContext) async throws -> ContextViews.NodePage {
        let caller = try context.caller()
        let page = try Page(request, defaultLimit: 100)
        let source = try QueryParameters(request).value("source", maxLength: 1000)
        let tenant = caller.tenant
        let (nodes, total) = try await pool.withConnection { [store] in
            try store.nodes(visibleTo: tenant, source: source, limit: page.limit, offset: page.offset, on: $0)
        }
        return ContextViews.NodePage(context: nodes.map(ContextViews.Node.init), total: total, limit: page.limit, offset: page.offset)
    }

    @Sendable func viewDocuments(_ request: Request, context: Context0RequestContext) async throws -> ContextViews.DocumentPage {
        let caller = try context.caller()
        let page = try Page(request, defaultLimit: 100)
        let tenant = caller.tenant
        let (documents, total) = try await pool.withConnection { [store] in
            try store.documents(visibleTo: tenant, limit: page.limit, offset: page.offset, on: $0)
        }
        return ContextViews.DocumentPage(documents: documents.map(ContextViews.Document.init), total: total, limit: page.limit, offset: page.offset)
    }
}

/// `limit` and `offset` (or `skip`) query parameters.
struct Page {
    var limit: Int
    var offset: Int
    static let maxLimit = 500

    init(_ request: Request, defaultLimit: Int) throws {
        let query = QueryParameters(request)
        limit = try query.integer("limit", 1...Self.maxLimit) ?? defaultLimit
        offset = try query.integer("offset", 0...10_000_000) ?? query.integer("skip", 0...10_000_000) ?? 0
    }
}
