-- The API keeps recently used keys in memory for a few seconds so that a request does not
-- cost a database lookup. A key that stops being valid (revoked, deleted, or its hash
-- changed) is announced here, in the transaction that changes it, so every API process
-- drops it from memory at once instead of honouring it until its cache entry expires.
CREATE FUNCTION api_keys_announce_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('context0_api_keys', encode(OLD.key_hash, 'hex'));
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_revoked
    AFTER UPDATE OF revoked_at, key_hash ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND (NEW.revoked_at IS NOT NULL OR NEW.key_hash <> OLD.key_hash))
    EXECUTE FUNCTION api_keys_announce_revocation();

CREATE TRIGGER api_keys_deleted
    AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION api_keys_announce_revocation();
