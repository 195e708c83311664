-- Fixes to emit_webhook_event (0011): a test event (`p_only_webhook`) goes to its webhook
-- whatever the webhook subscribes to; the webhooks a delivery points at are locked FOR KEY
-- SHARE, so a webhook deleted concurrently is skipped instead of failing the change that
-- emitted the event (a foreign-key error).
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
        INSERT INTO jobs (kind, queue, args, max_attempts, timeout_seconds)
        SELECT 'webhook.deliver', 'webhooks', jsonb_build_object('delivery_id', d.id), 5, 120 FROM deliveries d
        RETURNING jobs.id, (jobs.args ->> 'delivery_id')::uuid AS delivery_id
    )
    SELECT v_event_id, q.delivery_id, q.id FROM queued q;
    PERFORM pg_notify('context0_jobs', 'webhooks');
END
$$;
