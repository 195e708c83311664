-- Every state change of a job wrote a new entry into jobs_kind_state: three index writes per
-- job for an index only the admin CLI uses. Retrying "all failed of a kind" keeps a small
-- partial index; listing by kind scans by id (newest first) instead.
DROP INDEX jobs_kind_state;
CREATE INDEX jobs_failed_kind ON jobs (kind) WHERE state = 'failed';
