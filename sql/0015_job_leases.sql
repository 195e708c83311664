-- Claim leases: a worker claims a batch by locking its rows (FOR UPDATE SKIP LOCKED) in a
-- transaction it keeps open while the jobs run, and writes each job once, when the lease
-- closes (its result, or `running` for a job that outlives the lease window). If the worker
-- dies, its transaction rolls back and the jobs are available again at once.
--
-- So that a job that kills its worker still uses up attempts, the worker records each
-- lease here, committed on its own before the jobs start, and deletes the record in the
-- transaction that closes the lease. A record left behind by a dead worker is a lease that
-- never closed: the rescuer counts an attempt for each of its jobs not written since.
CREATE TABLE job_leases (
    id uuid PRIMARY KEY,
    worker_id uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    queue text NOT NULL,
    started_at timestamptz NOT NULL,
    job_ids bigint[] NOT NULL
);
CREATE INDEX job_leases_worker ON job_leases (worker_id);
-- A lease's ids (up to a claim batch, 500 by default: 4 kB) stay in the row uncompressed:
-- compressing them on every claim costs more than the bytes it saves.
ALTER TABLE job_leases ALTER COLUMN job_ids SET STORAGE EXTERNAL;
ALTER TABLE job_leases SET (toast_tuple_target = 8160);
