-- Plans set rate limits (per hour, per class of endpoint), quotas and prices.
CREATE TABLE plans (
    name text PRIMARY KEY,
    standard_per_hour integer NOT NULL CHECK (standard_per_hour > 0),
    search_per_hour integer NOT NULL CHECK (search_per_hour > 0),
    batch_per_hour integer NOT NULL CHECK (batch_per_hour > 0),
    ai_per_hour integer NOT NULL CHECK (ai_per_hour > 0),
    monthly_price_cents integer NOT NULL DEFAULT 0,
    -- Monthly quotas; NULL is unlimited.
    quotas jsonb NOT NULL DEFAULT '{}',
    -- Prices per unit beyond the quota, in cents, by metric.
    unit_prices jsonb NOT NULL DEFAULT '{}'
);

INSERT INTO plans (name, standard_per_hour, search_per_hour, batch_per_hour, ai_per_hour, monthly_price_cents, quotas, unit_prices) VALUES
    ('free', 1000, 300, 100, 60, 0,
     '{"searches": 10000, "ai_operations": 1000, "llm_tokens": 200000, "embedded_chunks": 50000, "stored_bytes": 104857600}', '{}'),
    ('pro', 10000, 3000, 1000, 600, 4900,
     '{"searches": 200000, "ai_operations": 20000, "llm_tokens": 5000000, "embedded_chunks": 1000000, "stored_bytes": 10737418240}',
     '{"searches": 0.01, "ai_operations": 0.2, "llm_tokens": 0.0005, "embedded_chunks": 0.001}'),
    ('enterprise', 100000, 30000, 10000, 6000, 49900, '{}',
     '{"searches": 0.005, "ai_operations": 0.1, "llm_tokens": 0.0003, "embedded_chunks": 0.0005}');

-- Metered usage, per user, metric and hour: requests by class ("requests.standard", …),
-- searches, AI operations, LLM tokens, embedded chunks, stored bytes. Requests are counted
-- here as they are rate limited, in the same statement.
CREATE TABLE usage_hourly (
    user_id text NOT NULL,
    metric text NOT NULL,
    hour timestamptz NOT NULL,
    quantity bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, metric, hour)
);
