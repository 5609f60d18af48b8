-- Accounts, sessions, published items, their audit log and in-site notices.
-- Times are UTC milliseconds since the epoch; money is whole yuan (万元 × 10000).

CREATE TABLE users (
    id                BIGSERIAL PRIMARY KEY,
    username          TEXT    NOT NULL UNIQUE,
    password_hash     TEXT    NOT NULL,
    role              TEXT    NOT NULL,
    display_name      TEXT    NOT NULL,
    region_code       TEXT    NOT NULL,
    scope_region_code TEXT,
    phone             TEXT,
    email             TEXT,
    title             TEXT,
    employer          TEXT,
    disciplines       TEXT    NOT NULL DEFAULT '[]',
    fields            TEXT    NOT NULL DEFAULT '[]',
    org_name          TEXT,
    credit_code       TEXT    UNIQUE,
    org_type          TEXT,
    industry          TEXT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE INDEX users_role_region ON users (role, region_code);

CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE items (
    id                   BIGSERIAL PRIMARY KEY,
    kind                 TEXT    NOT NULL,
    owner_id             BIGINT  NOT NULL REFERENCES users (id),
    title                TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    industry             TEXT,
    keywords             TEXT    NOT NULL DEFAULT '[]',
    region_code          TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    reject_reason        TEXT,
    close_reason         TEXT,
    modes                TEXT    NOT NULL DEFAULT '[]',
    amount_min_yuan      BIGINT,
    amount_max_yuan      BIGINT,
    deadline             TEXT,
    contact_visibility   TEXT,
    discipline           TEXT,
    fields               TEXT    NOT NULL DEFAULT '[]',
    service_area         TEXT    NOT NULL DEFAULT '[]',
    availability         TEXT,
    achievement_type     TEXT,
    registration_no      TEXT,
    maturity             TEXT,
    version              BIGINT  NOT NULL DEFAULT 1,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    submitted_at         BIGINT,
    published_at         BIGINT,
    closed_at            BIGINT,
    confirm_requested_at BIGINT
);
CREATE INDEX items_public ON items (status, kind, published_at);
CREATE INDEX items_owner ON items (owner_id, updated_at);
CREATE INDEX items_region ON items (region_code);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    actor_id    BIGINT,
    entity      TEXT   NOT NULL,
    entity_id   BIGINT NOT NULL,
    action      TEXT   NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    detail      TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);

CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL,
    title      TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    link       TEXT,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at);
