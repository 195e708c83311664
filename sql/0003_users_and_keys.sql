-- Users are created on their first valid request; API keys are stored only as hashes.

CREATE TABLE users (
    id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 256),
    organization_id text,
    plan text NOT NULL DEFAULT 'free',
    disabled_at timestamptz,
    disabled_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    user_id text NOT NULL REFERENCES users (id),
    organization_id text,
    name text NOT NULL DEFAULT '',
    -- NULL: every scope but admin, as for a JWT without a scopes claim.
    scopes text[],
    key_hash bytea NOT NULL UNIQUE,
    -- The first characters of the key, to recognise it in listings.
    key_prefix text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id);
