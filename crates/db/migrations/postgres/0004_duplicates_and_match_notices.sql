-- A flag set at submission when an item looks like one already published by the same owner or in
-- the same city, and the record of which match notices were sent (never twice for one pair).
ALTER TABLE items ADD COLUMN duplicate_of BIGINT;

CREATE TABLE match_notices (
    user_id   BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    target_id BIGINT NOT NULL,
    sent_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, source_id, target_id)
);
