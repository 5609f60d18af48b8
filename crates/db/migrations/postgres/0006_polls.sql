-- 投票: polls, their candidates, the votes, and each voter's daily count per poll.
-- A candidate's vote_count is kept in the same transaction as its votes, so reading the
-- standings never counts hundreds of thousands of rows.

CREATE TABLE polls (
    id            BIGSERIAL PRIMARY KEY,
    title         TEXT   NOT NULL,
    description   TEXT   NOT NULL,
    region_code   TEXT   NOT NULL,
    starts_on     TEXT   NOT NULL,
    ends_on       TEXT   NOT NULL,
    votes_per_day BIGINT NOT NULL,
    created_by    BIGINT NOT NULL REFERENCES users (id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX polls_region ON polls (region_code, ends_on);

CREATE TABLE poll_candidates (
    id         BIGSERIAL PRIMARY KEY,
    poll_id    BIGINT NOT NULL REFERENCES polls (id),
    position   BIGINT NOT NULL,
    name       TEXT   NOT NULL,
    summary    TEXT   NOT NULL,
    vote_count BIGINT NOT NULL DEFAULT 0,
    UNIQUE (poll_id, name)
);
CREATE INDEX poll_candidates_poll ON poll_candidates (poll_id, position);

CREATE TABLE votes (
    id           BIGSERIAL PRIMARY KEY,
    poll_id      BIGINT NOT NULL REFERENCES polls (id),
    candidate_id BIGINT NOT NULL REFERENCES poll_candidates (id),
    voter_id     BIGINT NOT NULL REFERENCES users (id),
    -- The China-time day the vote counts for: one vote per candidate per voter per day.
    voted_on     TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (candidate_id, voter_id, voted_on)
);
CREATE INDEX votes_voter ON votes (poll_id, voter_id);

-- Votes used per voter, poll and day; the conditional increment enforces votes_per_day
-- atomically on both engines.
CREATE TABLE vote_quotas (
    poll_id  BIGINT NOT NULL REFERENCES polls (id),
    voter_id BIGINT NOT NULL REFERENCES users (id),
    voted_on TEXT   NOT NULL,
    used     BIGINT NOT NULL,
    PRIMARY KEY (poll_id, voter_id, voted_on)
);
