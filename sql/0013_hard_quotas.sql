-- A plan's quota for a metric it sets no price for is a hard cap: the billing rollup lists
-- here the metrics a user has used up this period, and admission refuses what would use more.
ALTER TABLE users ADD COLUMN quota_exceeded text[] NOT NULL DEFAULT '{}';
-- The rollup revisits users over a quota each tick (to clear them when a period ends).
CREATE INDEX users_quota_exceeded ON users (id) WHERE quota_exceeded <> '{}';
