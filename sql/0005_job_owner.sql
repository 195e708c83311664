-- Jobs done on a user's behalf name that user, so `GET /api/v1/jobs/{id}` can show callers
-- their own jobs and nobody else's.
ALTER TABLE jobs ADD COLUMN owner_user_id text;
CREATE INDEX jobs_owner ON jobs (owner_user_id) WHERE owner_user_id IS NOT NULL;
