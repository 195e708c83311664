-- mem0's entity ids, for the mem0-compatible routes (docs/mem0-compatibility.md): inside one
-- Context0 user (the API key's tenant, memories.user_id) a memory may belong to an end user,
-- an agent, a run and an app of that tenant's own. Memories made through the Context0 API
-- have none. Lists and searches filter by the ids given; reconciliation of extracted facts
-- compares a fact only with memories of exactly the same entities.
ALTER TABLE memories
    ADD COLUMN entity_user_id text CHECK (char_length(entity_user_id) BETWEEN 1 AND 255),
    ADD COLUMN entity_agent_id text CHECK (char_length(entity_agent_id) BETWEEN 1 AND 255),
    ADD COLUMN entity_run_id text CHECK (char_length(entity_run_id) BETWEEN 1 AND 255),
    ADD COLUMN entity_app_id text CHECK (char_length(entity_app_id) BETWEEN 1 AND 255);

CREATE INDEX memories_entity_user ON memories (user_id, entity_user_id, created_at DESC)
    WHERE deleted_at IS NULL AND entity_user_id IS NOT NULL;
CREATE INDEX memories_entity_agent ON memories (user_id, entity_agent_id, created_at DESC)
    WHERE deleted_at IS NULL AND entity_agent_id IS NOT NULL;
CREATE INDEX memories_entity_run ON memories (user_id, entity_run_id, created_at DESC)
    WHERE deleted_at IS NULL AND entity_run_id IS NOT NULL;
CREATE INDEX memories_entity_app ON memories (user_id, entity_app_id, created_at DESC)
    WHERE deleted_at IS NULL AND entity_app_id IS NOT NULL;
