-- Memories: durable facts about a user, with every earlier version kept in memory_history.
-- A memory is never hard-deleted: deleting sets deleted_at, superseding sets valid_until.

CREATE TABLE memories (
    id uuid PRIMARY KEY,
    user_id text NOT NULL,
    text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 10000),
    category text,
    category_confidence real,
    emotion text,
    emotion_confidence real,
    tags text[] NOT NULL DEFAULT '{}',
    metadata jsonb NOT NULL DEFAULT '{}',
    source text NOT NULL CHECK (source IN ('manual', 'chat', 'context')),
    -- Where an extracted memory came from: message ids or a document id.
    source_refs jsonb NOT NULL DEFAULT '[]',
    enrichment text NOT NULL DEFAULT 'pending' CHECK (enrichment IN ('pending', 'done', 'failed')),
    embedding vector(384),
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    version integer NOT NULL DEFAULT 1,
    valid_from timestamptz NOT NULL DEFAULT now(),
    valid_until timestamptz,
    superseded_by uuid,
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memories_user_created ON memories (user_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX memories_user_category ON memories (user_id, category) WHERE deleted_at IS NULL;
CREATE INDEX memories_tags ON memories USING gin (tags);
CREATE INDEX memories_tsv ON memories USING gin (tsv);
CREATE INDEX memories_embedding ON memories USING hnsw (embedding vector_cosine_ops);

CREATE TABLE memory_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    memory_id uuid NOT NULL REFERENCES memories (id),
    user_id text NOT NULL,
    version integer NOT NULL,
    change text NOT NULL CHECK (change IN ('created', 'updated', 'enriched', 'superseded', 'deleted')),
    reason text,
    text text NOT NULL,
    category text,
    emotion text,
    tags text[] NOT NULL DEFAULT '{}',
    metadata jsonb NOT NULL DEFAULT '{}',
    valid_until timestamptz,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_history_memory ON memory_history (memory_id, id);

CREATE TABLE chat_sessions (
    id uuid PRIMARY KEY,
    user_id text NOT NULL,
    title text NOT NULL DEFAULT '',
    auto_extract boolean NOT NULL DEFAULT true,
    metadata jsonb NOT NULL DEFAULT '{}',
    message_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_sessions_user ON chat_sessions (user_id, updated_at DESC);

CREATE TABLE chat_messages (
    id uuid PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    role text NOT NULL CHECK (role IN ('user', 'assistant')),
    content text NOT NULL,
    mode text CHECK (mode IN ('llm', 'offline')),
    memories_used uuid[] NOT NULL DEFAULT '{}',
    -- Set once memory extraction has looked at this message.
    extracted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, created_at);

CREATE TABLE qa_history (
    id uuid PRIMARY KEY,
    user_id text NOT NULL,
    question text NOT NULL,
    answer text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('llm', 'offline')),
    citations jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qa_history_user ON qa_history (user_id, created_at DESC);

-- LLM calls and their token usage, per user (for billing and analytics).
CREATE TABLE llm_calls (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id text NOT NULL,
    purpose text NOT NULL,
    model text NOT NULL,
    prompt_tokens integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX llm_calls_user ON llm_calls (user_id, created_at);
