-- Fair claims between owners: one tenant's backlog no longer delays every other tenant's
-- work by its whole length. Each job gets a tag when it is enqueued (start-time fair
-- queueing): the tag at the head of its queue, or one past the owner's newest waiting job
-- in that queue, whichever is larger. Claims take the best priority, then the smallest tag,
-- then the oldest. An owner with 10,000 jobs waiting holds tags head…head+9,999; another
-- owner's single job gets the head's tag and is claimed next, not after the 10,000. Within
-- one owner the order stays first in, first out; jobs without an owner (system work) take
-- the head's tag. A retried or rescued job keeps its tag, so it runs soon once due.
ALTER TABLE jobs ADD COLUMN fair_tag bigint NOT NULL DEFAULT 0;

DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (queue, priority, fair_tag, run_at, id) WHERE state = 'available';
-- The owner's newest waiting job in a queue, for the next tag.
CREATE INDEX jobs_owner_backlog ON jobs (queue, owner_user_id, fair_tag)
    WHERE state = 'available' AND owner_user_id IS NOT NULL;

-- A row trigger, so every way of enqueueing gets a tag (the bulk enqueue and
-- emit_webhook_event's own INSERT): SQL in a row-level BEFORE trigger sees the rows the same
-- statement inserted before, so one statement's jobs of one owner get consecutive tags.
CREATE FUNCTION jobs_fair_tag() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_head bigint;
    v_last bigint;
BEGIN
    SELECT j.fair_tag INTO v_head FROM jobs j
    WHERE j.state = 'available' AND j.queue = NEW.queue
    ORDER BY j.priority, j.fair_tag LIMIT 1;
    IF NEW.owner_user_id IS NOT NULL THEN
        SELECT j.fair_tag INTO v_last FROM jobs j
        WHERE j.state = 'available' AND j.queue = NEW.queue AND j.owner_user_id = NEW.owner_user_id
        ORDER BY j.fair_tag DESC LIMIT 1;
    END IF;
    NEW.fair_tag := greatest(coalesce(v_head, 0), v_last + 1);
    RETURN NEW;
END
$$;
CREATE TRIGGER jobs_fair_tag BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION jobs_fair_tag();

-- Webhook deliveries belong to the webhook's owner, so one tenant's deliveries to a slow
-- receiver take turns with everyone else's.
CREATE OR REPLACE FUNCTION emit_webhook_event(p_user_id text, p_type text, p_data jsonb, p_only_webhook uuid DEFAULT NULL)
RETURNS TABLE (event_id text, delivery_id uuid, job_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_event_id text;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM webhooks w
        WHERE w.user_id = p_user_id AND w.enabled
          AND (CASE WHEN p_only_webhook IS NULL THEN p_type = ANY (w.events) OR '*' = ANY (w.events) ELSE w.id = p_only_webhook END)
    ) THEN
        RETURN;
    END IF;
    v_event_id := 'evt_' || replace(gen_random_uuid()::text, '-', '');
    INSERT INTO webhook_events (id, user_id, type, data) VALUES (v_event_id, p_user_id, p_type, p_data);
    RETURN QUERY
    WITH deliveries AS (
        INSERT INTO webhook_deliveries (webhook_id, event_id, next_attempt_at)
        SELECT w.id, v_event_id, now() FROM webhooks w
        WHERE w.user_id = p_user_id AND w.enabled
          AND (CASE WHEN p_only_webhook IS NULL THEN p_type = ANY (w.events) OR '*' = ANY (w.events) ELSE w.id = p_only_webhook END)
        FOR KEY SHARE OF w
        RETURNING webhook_deliveries.id
    ), queued AS (
        INSERT INTO jobs (kind, queue, args, max_attempts, timeout_seconds, owner_user_id)
        SELECT 'webhook.deliver', 'webhooks', jsonb_build_object('delivery_id', d.id), 5, 120, p_user_id FROM deliveries d
        RETURNING jobs.id, (jobs.args ->> 'delivery_id')::uuid AS delivery_id
    )
    SELECT v_event_id, q.delivery_id, q.id FROM queued q;
    PERFORM pg_notify('context0_jobs', 'webhooks');
END
$$;
