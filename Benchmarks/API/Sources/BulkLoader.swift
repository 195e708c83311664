import BenchmarkSupport
import Core
import Foundation
import Postgres

/// Loads indexed documents and their context nodes straight into the tables (as the ingest
/// and embedding jobs would leave them: state 'indexed', nodes `indexed = true`, with
/// embeddings), in bulk, with the secondary indexes of `context_nodes` dropped during the
/// load and built again afterwards from their own definitions in the schema.
struct BulkLoader {
    let connection: PostgresConnection
    let corpus: Corpus
    /// One vector per corpus sentence (real MiniLM embeddings).
    let sentenceVectors: [[Float]]
    let chunksPerDocument: Int
    let documentsPerStatement = 200

    /// The embedding of a chunk made of these sentences: the normalised mean of their
    /// (real) embeddings. Mean pooling makes a chunk's embedding close to this.
    func mixedVector(_ chunk: [Int]) -> [Float] {
        var sum = [Float](repeating: 0, count: sentenceVectors[0].count)
        for index in chunk {
            let vector = sentenceVectors[index]
            for i in sum.indices { sum[i] += vector[i] }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { $0 / max(norm, 1e-12) }
    }

    /// The chunks (sentence indices) of tenant `seed`'s `count` chunks, in load order.
    static func chunks(count: Int, chunksPerDocument: Int, corpus: Corpus, seed: UInt64) -> [[Int]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { ordinal in
            let document = ordinal / chunksPerDocument
            return corpus.chunk(topic: document % corpus.byTopic.count, using: &random)
        }
    }

    /// Inserts `chunks` as documents of `chunksPerDocument` nodes each, owned by `tenant`.
    /// `vectorFor(ordinal)` gives a chunk's embedding.
    func load(_ chunks: [[Int]], tenant: Tenant, source: String, vectorFor: (Int) -> [Float]) throws {
        let documentCount = (chunks.count + chunksPerDocument - 1) / chunksPerDocument
        for first in stride(from: 0, to: documentCount, by: documentsPerStatement) {
            let documents = first..<min(first + documentsPerStatement, documentCount)
            var documentIDs = [UUID](), names = [String](), contents = [String](), nodeCounts = [Int]()
            var nodeDocuments = [UUID](), positions = [Int](), texts = [String](), tokens = [Int](), vectors = [String]()
            for document in documents {
                let id = UUID()
                let ordinals = (document * chunksPerDocument)..<min((document + 1) * chunksPerDocument, chunks.count)
                let chunkTexts = ordinals.map { corpus.text(of: chunks[$0]) }
                documentIDs.append(id)
                names.append("\(source)-\(document).txt")
                contents.append(chunkTexts.joined(separator: "\n\n"))
                nodeCounts.append(ordinals.count)
                for (position, ordinal) in ordinals.enumerated() {
                    nodeDocuments.append(id)
                    positions.append(position)
                    texts.append(chunkTexts[position])
                    // About 1.3 WordPiece tokens a word for this text; only informative.
                    tokens.append(chunkTexts[position].split(separator: " ").count * 13 / 10)
                    vectors.append(Self.vectorText(vectorFor(ordinal)))
                }
            }
            try connection.transaction { connection in
                try connection.query("""
                    INSERT INTO context_documents (id, user_id, organization_id, source, context_type, scope, metadata, chained,
                                                   file_name, file_type, content, content_sha256, state, node_count, indexed_at)
                    SELECT id, \(tenant.userID), \(tenant.organizationID), \(source), 'resource', 'internal', '{}', false,
                           name, 'text/plain', content, encode(sha256(convert_to(content, 'UTF8')), 'hex'), 'indexed', nodes, now()
                    FROM unnest(\(documentIDs)::uuid[], \(names)::text[], \(contents)::text[], \(nodeCounts)::integer[])
                        AS d (id, name, content, nodes)
                    """)
                try connection.query("""
                    INSERT INTO context_nodes (id, document_id, user_id, organization_id, position, text, token_count, embedding, indexed)
                    SELECT gen_random_uuid(), document, \(tenant.userID), \(tenant.organizationID), position, text, tokens, vector::vector, true
                    FROM unnest(\(nodeDocuments)::uuid[], \(positions)::integer[], \(texts)::text[], \(tokens)::integer[], \(vectors)::text[])
                        AS n (document, position, text, tokens, vector)
                    """)
            }
        }
    }

    /// pgvector's text form (Swift's shortest round-trip Float text, fast enough for 10^5 rows).
    static func vectorText(_ vector: [Float]) -> String {
        var text = "["
        text.reserveCapacity(vector.count * 12)
        for (index, value) in vector.enumerated() {
            if index > 0 { text += "," }
            text += value.description
        }
        return text + "]"
    }

    /// The definitions of `context_nodes`' indexes that back no constraint, dropped.
    static func dropSecondaryIndexes(on connection: PostgresConnection) throws -> [(name: String, definition: String)] {
        let indexes = try connection.query("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = 'context_nodes'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.conrelid = 'context_nodes'::regclass)
            ORDER BY i.indexname
            """).rows.map { (name: try $0.decode("indexname", as: String.self), definition: try $0.decode("indexdef", as: String.self)) }
        for index in indexes {
            try connection.query(PostgresQuery(unsafeSQL: "DROP INDEX \(PostgresConnection.quoteIdentifier(index.name))"))
        }
        return indexes
    }
}
