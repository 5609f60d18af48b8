-- Synonym groups added by admins; the matching engine uses them with the shipped list.
CREATE TABLE synonym_groups (
    id         BIGSERIAL PRIMARY KEY,
    terms      TEXT   NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
