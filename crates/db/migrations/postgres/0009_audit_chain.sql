-- The audit log becomes the record of security events too: source address, result and the region
-- whose admins may read it; each record is chained to the one before by an SM3 hash (computed by the
-- application, checked by `kejiyun audit verify`), and the table is append-only.
ALTER TABLE audit_log
    ADD COLUMN address TEXT,
    ADD COLUMN result TEXT NOT NULL DEFAULT 'ok',
    ADD COLUMN region_code TEXT,
    ADD COLUMN prev_hash TEXT,
    ADD COLUMN hash TEXT;
CREATE INDEX audit_created ON audit_log (created_at);
CREATE INDEX audit_actor ON audit_log (actor_id, created_at);
CREATE INDEX audit_action ON audit_log (action, created_at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
