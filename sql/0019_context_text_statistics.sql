-- Statistics for the full-text arm of context search, which ranks like BM25: how many nodes
-- contain each lexeme (for its inverse document frequency) and how many nodes and tokens
-- there are (for length normalisation), per owner. An owner is what visibility is made of:
-- 'u:<user id>' for a user's own nodes, 'o:<organization id>' for an organization's shared
-- ones, so a caller's statistics are the sum over the owners it can see, and one tenant's
-- writes never touch another's rows.
--
-- Kept by statement-level triggers on context_nodes (node text never changes after insert;
-- nodes go by delete, directly or by cascade from their document). Lexemes are upserted in
-- sorted order, so concurrent ingestion for one owner waits its turn instead of deadlocking.

CREATE FUNCTION context_text_owner(p_user_id text, p_organization_id text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_organization_id IS NULL THEN 'u:' || p_user_id ELSE 'o:' || p_organization_id END
$$;

CREATE TABLE context_term_counts (
    owner text NOT NULL,
    lexeme text NOT NULL,
    nodes integer NOT NULL,
    PRIMARY KEY (owner, lexeme)
);

CREATE TABLE context_text_totals (
    owner text PRIMARY KEY,
    nodes bigint NOT NULL,
    tokens bigint NOT NULL
);

CREATE FUNCTION context_text_statistics_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO context_term_counts AS c (owner, lexeme, nodes)
    SELECT context_text_owner(n.user_id, n.organization_id) AS owner, t.lexeme, count(*)
    FROM added n, unnest(n.tsv) t
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (owner, lexeme) DO UPDATE SET nodes = c.nodes + excluded.nodes;
    INSERT INTO context_text_totals AS t (owner, nodes, tokens)
    SELECT context_text_owner(n.user_id, n.organization_id), count(*), sum(n.token_count)
    FROM added n GROUP BY 1 ORDER BY 1
    ON CONFLICT (owner) DO UPDATE SET nodes = t.nodes + excluded.nodes, tokens = t.tokens + excluded.tokens;
    RETURN NULL;
END $$;

CREATE FUNCTION context_text_statistics_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows locked in the order inserts take them, so a delete and an add cannot deadlock.
    PERFORM 1 FROM context_term_counts c
    JOIN (SELECT DISTINCT context_text_owner(n.user_id, n.organization_id) AS owner, t.lexeme FROM removed n, unnest(n.tsv) t) r
        ON c.owner = r.owner AND c.lexeme = r.lexeme
    ORDER BY c.owner, c.lexeme FOR UPDATE OF c;
    UPDATE context_term_counts c SET nodes = c.nodes - r.nodes
    FROM (SELECT context_text_owner(n.user_id, n.organization_id) AS owner, t.lexeme, count(*) AS nodes
          FROM removed n, unnest(n.tsv) t GROUP BY 1, 2) r
    WHERE c.owner = r.owner AND c.lexeme = r.lexeme;
    -- A lexeme no node has any more leaves the statistics too (it came from content).
    DELETE FROM context_term_counts c
    USING (SELECT DISTINCT context_text_owner(n.user_id, n.organization_id) AS owner, t.lexeme FROM removed n, unnest(n.tsv) t) r
    WHERE c.owner = r.owner AND c.lexeme = r.lexeme AND c.nodes <= 0;
    UPDATE context_text_totals t SET nodes = t.nodes - r.nodes, tokens = t.tokens - r.tokens
    FROM (SELECT context_text_owner(n.user_id, n.organization_id) AS owner, count(*) AS nodes, sum(n.token_count) AS tokens
          FROM removed n GROUP BY 1) r
    WHERE t.owner = r.owner;
    RETURN NULL;
END $$;

CREATE TRIGGER context_nodes_text_added AFTER INSERT ON context_nodes
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION context_text_statistics_add();
CREATE TRIGGER context_nodes_text_removed AFTER DELETE ON context_nodes
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION context_text_statistics_remove();

-- The nodes stored before this migration.
INSERT INTO context_term_counts (owner, lexeme, nodes)
SELECT context_text_owner(n.user_id, n.organization_id), t.lexeme, count(*)
FROM context_nodes n, unnest(n.tsv) t GROUP BY 1, 2;
INSERT INTO context_text_totals (owner, nodes, tokens)
SELECT context_text_owner(n.user_id, n.organization_id), count(*), sum(n.token_count)
FROM context_nodes n GROUP BY 1;
