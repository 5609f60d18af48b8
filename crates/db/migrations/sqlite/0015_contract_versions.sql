-- A verified contract is immutable: a correction or a new scan makes a new version (back to
-- 待核验) and the verified one is kept here, with its scan, as it was.
CREATE TABLE contract_versions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id       BIGINT NOT NULL REFERENCES contracts (id),
    snapshot          TEXT   NOT NULL,
    snapshot_sha256   TEXT   NOT NULL,
    attachment_sha256 TEXT,
    attachment        BLOB,
    superseded_by     BIGINT NOT NULL REFERENCES users (id),
    superseded_at     BIGINT NOT NULL,
    reason            TEXT   NOT NULL
);
CREATE INDEX contract_versions_contract ON contract_versions (contract_id, id);
