-- A second kind of uniqueness: at most one job per waiting_key that has not started yet.
-- Work that arrives while such a job runs gets a job of its own (the running one may have
-- read its input already); jobs keyed so must be idempotent.
ALTER TABLE jobs ADD COLUMN waiting_key text CHECK (char_length(waiting_key) <= 512);
CREATE UNIQUE INDEX jobs_unique_waiting ON jobs (waiting_key) WHERE waiting_key IS NOT NULL AND state = 'available';
