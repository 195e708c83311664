-- The Context API: documents as added, and the context nodes (chunks) they are split into,
-- each with its text, full-text vector and embedding.
--
-- Tenancy: a row with organization_id NULL is private to user_id; a row with an
-- organization_id is shared with every member of that organization. The tenant key leads
-- every tenant index (it is what a distributed PostgreSQL would shard on).

CREATE TABLE context_documents (
    id uuid PRIMARY KEY,
    user_id text NOT NULL,
    organization_id text,
    source text NOT NULL DEFAULT '',
    context_type text NOT NULL CHECK (context_type IN ('resource', 'conversation', 'instruction')),
    scope text NOT NULL CHECK (scope IN ('internal', 'external')),
    metadata jsonb NOT NULL DEFAULT '{}',
    chained boolean NOT NULL DEFAULT false,
    file_name text,
    file_type text,
    file_size bigint,
    last_modified text,
    content text NOT NULL,
    content_sha256 text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'chunked', 'indexed', 'failed')),
    node_count integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    indexed_at timestamptz
);
CREATE INDEX context_documents_user ON context_documents (user_id, source);
CREATE INDEX context_documents_org ON context_documents (organization_id, source) WHERE organization_id IS NOT NULL;

CREATE TABLE context_nodes (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES context_documents (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    organization_id text,
    position integer NOT NULL CHECK (position >= 0),
    text text NOT NULL,
    token_count integer NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    embedding vector(384),
    indexed boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, position)
);
CREATE INDEX context_nodes_user ON context_nodes (user_id) WHERE organization_id IS NULL;
CREATE INDEX context_nodes_org ON context_nodes (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX context_nodes_tsv ON context_nodes USING gin (tsv);
CREATE INDEX context_nodes_embedding ON context_nodes USING hnsw (embedding vector_cosine_ops);
