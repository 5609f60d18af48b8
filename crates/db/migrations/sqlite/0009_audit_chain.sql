-- The audit log becomes the record of security events too: source address, result and the region
-- whose admins may read it; each record is chained to the one before by an SM3 hash (computed by the
-- application, checked by `kejiyun audit verify`), and the table is append-only.
ALTER TABLE audit_log ADD COLUMN address TEXT;
ALTER TABLE audit_log ADD COLUMN result TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE audit_log ADD COLUMN region_code TEXT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE INDEX audit_created ON audit_log (created_at);
CREATE INDEX audit_actor ON audit_log (actor_id, created_at);
CREATE INDEX audit_action ON audit_log (action, created_at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
