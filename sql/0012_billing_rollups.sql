-- Monthly totals rolled up from usage_hourly by the periodic `billing.rollup` job, and the
-- billing periods (calendar months, UTC) it closes. Both are recomputed, never added to, so
-- running the rollup twice changes nothing.
CREATE TABLE usage_monthly (
    user_id text NOT NULL,
    metric text NOT NULL,
    month timestamptz NOT NULL,
    quantity bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, metric, month)
);

CREATE TABLE billing_periods (
    user_id text NOT NULL,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    plan text NOT NULL,
    -- [{metric, quantity, included, overage, unit_price_cents, amount_cents}]
    line_items jsonb NOT NULL,
    base_price_cents bigint NOT NULL,
    total_cents bigint NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, period_start)
);

-- The rollup reads the hours of the last two months across all users.
CREATE INDEX usage_hourly_hour ON usage_hourly (hour);
