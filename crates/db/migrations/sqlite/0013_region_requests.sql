-- 地区变更申请: an account's region changes only when an admin above its current region approves.
CREATE TABLE region_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    from_region   TEXT NOT NULL,
    to_region     TEXT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    decided_by    BIGINT REFERENCES users (id),
    decision_note TEXT,
    created_at    BIGINT NOT NULL,
    decided_at    BIGINT
);
-- One open request per account.
CREATE UNIQUE INDEX region_requests_one_pending ON region_requests (user_id) WHERE status = 'pending';
CREATE INDEX region_requests_from ON region_requests (status, from_region, created_at);
