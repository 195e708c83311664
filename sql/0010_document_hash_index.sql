-- `add` looks for an identical document of the same owner by content hash: a point lookup,
-- not a scan of all the user's documents.
CREATE INDEX context_documents_hash ON context_documents (user_id, content_sha256);
