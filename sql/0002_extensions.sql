-- pgvector for embeddings (context nodes and memories come in later migrations).
CREATE EXTENSION IF NOT EXISTS vector;
