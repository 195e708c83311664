-- Keep embeddings in the table's own rows. A context node's row (its text, tsvector and a
-- 1,536-byte vector(384)) is over the 2 KB TOAST threshold, and pgvector's default EXTERNAL
-- storage moved the vector out of line: every distance computed from the table (an exact
-- scan of a small tenant, the threshold check of an HNSW candidate) fetched and
-- reassembled it from the TOAST table, ~6 buffer reads a row. MAIN keeps it inline and lets
-- the text and tsvector go out of line first (measured: docs/benchmarks-search.md, an exact
-- scan of 4,922 nodes 14 -> 5 ms). Rows written before this keep their storage until their
-- embedding is written again.
ALTER TABLE context_nodes ALTER COLUMN embedding SET STORAGE MAIN;
ALTER TABLE memories ALTER COLUMN embedding SET STORAGE MAIN;
