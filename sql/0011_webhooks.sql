-- Webhooks: a user's subscriptions, the events that happened to them, and one delivery per
-- (event, subscribed webhook), each sent by a `webhook.deliver` job.

CREATE TABLE webhooks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    -- Event types, or '*' for every one.
    events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 50),
    description text CHECK (char_length(description) <= 500),
    -- `whsec_` + base64 of 32 random bytes (Standard Webhooks).
    secret text NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_user ON webhooks (user_id, created_at DESC);

CREATE TABLE webhook_events (
    id text PRIMARY KEY,
    user_id text NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'delivered', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    response_status integer,
    error text,
    -- One entry per attempt: attempt, at, response_status, error, duration_ms.
    attempt_log jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz,
    delivered_at timestamptz
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- Records an event of a user's and, for every enabled webhook of theirs subscribed to its
-- type (or only `only_webhook`), a delivery and the job that sends it, in the caller's
-- transaction. A user with no subscribed webhook pays one index lookup and writes nothing.
-- The one place events are written: Swift calls it, and so does the trigger for failed jobs.
-- The job row matches `DeliverWebhookJob` (kind, queue, arguments, attempts) in Swift.
CREATE FUNCTION emit_webhook_event(p_user_id text, p_type text, p_data jsonb, p_only_webhook uuid DEFAULT NULL)
RETURNS TABLE (event_id text, delivery_id uuid, job_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_event_id text;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM webhooks w
        WHERE w.user_id = p_user_id AND w.enabled AND (p_type = ANY (w.events) OR '*' = ANY (w.events))
          AND (p_only_webhook IS NULL OR w.id = p_only_webhook)
    ) THEN
        RETURN;
    END IF;
    v_event_id := 'evt_' || replace(gen_random_uuid()::text, '-', '');
    INSERT INTO webhook_events (id, user_id, type, data) VALUES (v_event_id, p_user_id, p_type, p_data);
    RETURN QUERY
    WITH deliveries AS (
        INSERT INTO webhook_deliveries (webhook_id, event_id, next_attempt_at)
        SELECT w.id, v_event_id, now() FROM webhooks w
        WHERE w.user_id = p_user_id AND w.enabled AND (p_type = ANY (w.events) OR '*' = ANY (w.events))
          AND (p_only_webhook IS NULL OR w.id = p_only_webhook)
        RETURNING webhook_deliveries.id
    ), queued AS (
        INSERT INTO jobs (kind, queue, args, max_attempts, timeout_seconds)
        SELECT 'webhook.deliver', 'webhooks', jsonb_build_object('delivery_id', d.id), 5, 120 FROM deliveries d
        RETURNING jobs.id, (jobs.args ->> 'delivery_id')::uuid AS delivery_id
    )
    SELECT v_event_id, q.delivery_id, q.id FROM queued q;
    PERFORM pg_notify('context0_jobs', 'webhooks');
END
$$;

-- A job done on a user's behalf that failed for good is a `job.failed` event, written with
-- the state change itself, whichever path failed it (a worker, a time-out, the rescuer).
CREATE FUNCTION jobs_emit_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM emit_webhook_event(NEW.owner_user_id, 'job.failed', jsonb_build_object(
        'job_id', NEW.id, 'kind', NEW.kind, 'attempts', NEW.attempt,
        'error', NEW.errors -> -1 ->> 'error'));
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_failed AFTER UPDATE OF state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'failed' AND OLD.state <> 'failed' AND NEW.owner_user_id IS NOT NULL)
    EXECUTE FUNCTION jobs_emit_failed();
