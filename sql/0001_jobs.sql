-- The job queue: one table of jobs, claimed with FOR UPDATE SKIP LOCKED.
--
-- States: available (waiting; run_at may lie in the future for scheduled, retried or
-- snoozed jobs), running (claimed by a worker; attempt counts claims and fences the owner),
-- and the final completed, failed (every attempt's error kept in errors) and cancelled.

CREATE TYPE job_state AS ENUM ('available', 'running', 'completed', 'failed', 'cancelled');

CREATE TABLE job_queues (
    name text PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 128),
    paused_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 128),
    queue text NOT NULL DEFAULT 'default' CHECK (char_length(queue) BETWEEN 1 AND 128),
    args jsonb NOT NULL DEFAULT '{}',
    state job_state NOT NULL DEFAULT 'available',
    priority smallint NOT NULL DEFAULT 0,
    run_at timestamptz NOT NULL DEFAULT now(),
    attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts integer NOT NULL DEFAULT 25 CHECK (max_attempts > 0),
    timeout_seconds integer CHECK (timeout_seconds > 0),
    unique_key text CHECK (char_length(unique_key) <= 512),
    errors jsonb NOT NULL DEFAULT '[]',
    worker_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempted_at timestamptz,
    heartbeat_at timestamptz,
    finished_at timestamptz,
    cancel_requested_at timestamptz,
    CONSTRAINT jobs_finished_at CHECK ((state IN ('completed', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CONSTRAINT jobs_running_owner CHECK (state <> 'running' OR (worker_id IS NOT NULL AND attempted_at IS NOT NULL))
);

-- Matches the claim query column for column: equality on queue, then its ORDER BY.
CREATE INDEX jobs_claim ON jobs (queue, priority, run_at, id) WHERE state = 'available';
-- One live job per unique key.
CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'running');
-- The rescuer and heartbeats look at running jobs only.
CREATE INDEX jobs_running ON jobs (worker_id) WHERE state = 'running';
-- The pruner deletes the oldest finished jobs first.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('completed', 'failed', 'cancelled');
-- Admin filters and retrying the failed jobs of a kind.
CREATE INDEX jobs_kind_state ON jobs (kind, state);

-- Jobs churn: vacuum early and leave room on pages so state changes stay cheap.
ALTER TABLE jobs SET (
    fillfactor = 85,
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.05
);

-- Worker processes register here and heartbeat; a worker whose heartbeat is old is dead
-- and its running jobs are rescued.
CREATE TABLE workers (
    id uuid PRIMARY KEY,
    hostname text NOT NULL,
    pid integer NOT NULL,
    queues jsonb NOT NULL DEFAULT '{}',
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
);

-- One row per periodic job: whoever moves next_run_at forward enqueues that tick's job.
CREATE TABLE periodic_jobs (
    name text PRIMARY KEY,
    next_run_at timestamptz NOT NULL,
    last_enqueued_at timestamptz,
    last_job_id bigint
);
