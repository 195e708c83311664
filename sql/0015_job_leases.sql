-- Claim leases: a worker claims a batch by locking its rows (FOR UPDATE SKIP LOCKED) in a
-- transaction it keeps open while the jobs run, and writes each job once, when the lease
-- closes (its result, or `running` for a job that outlives the lease window). If the worker
-- dies, its transaction rolls back and the jobs are available again at once.
--
-- So that a job that kills its worker still uses up attempts, the worker records each
-- lease here, committed on its own before the jobs start; the rescuer counts the attempts
-- of dead workers' leases whose jobs were not written since (attempted_at < started_at).
CREATE TABLE job_leases (
    worker_id uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    queue text NOT NULL,
    started_at timestamptz NOT NULL,
    job_ids bigint[] NOT NULL,
    PRIMARY KEY (worker_id, queue)
);
