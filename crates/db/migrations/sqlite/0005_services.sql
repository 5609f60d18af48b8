-- 科服保姆 work: stewards assigned to organisations (with history), 一企一策 plans and contact
-- logs, service orders with proposals, technology contracts with their scans, and commissioned
-- projects with milestones. Dates people pick are TEXT 'YYYY-MM-DD'; moments are UTC ms.

CREATE TABLE org_stewards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT NOT NULL REFERENCES users (id),
    steward_id  BIGINT NOT NULL REFERENCES users (id),
    assigned_by BIGINT,
    assigned_at BIGINT NOT NULL,
    ended_at    BIGINT
);
CREATE UNIQUE INDEX org_stewards_one_lead ON org_stewards (org_id) WHERE ended_at IS NULL;
CREATE INDEX org_stewards_steward ON org_stewards (steward_id, ended_at);

CREATE TABLE service_plans (
    org_id     BIGINT PRIMARY KEY REFERENCES users (id),
    situation  TEXT   NOT NULL,
    goals      TEXT   NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE plan_actions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES users (id),
    title      TEXT   NOT NULL,
    due_on     TEXT   NOT NULL,
    done_at    BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX plan_actions_org ON plan_actions (org_id);

CREATE TABLE contact_logs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     BIGINT NOT NULL REFERENCES users (id),
    steward_id BIGINT NOT NULL REFERENCES users (id),
    contact_on TEXT   NOT NULL,
    channel    TEXT   NOT NULL,
    summary    TEXT   NOT NULL,
    follow_up  TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX contact_logs_org ON contact_logs (org_id, contact_on);

CREATE TABLE service_orders (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id             BIGINT NOT NULL REFERENCES users (id),
    opened_by          BIGINT NOT NULL REFERENCES users (id),
    steward_id         BIGINT REFERENCES users (id),
    need_id            BIGINT REFERENCES items (id),
    order_type         TEXT   NOT NULL,
    title              TEXT   NOT NULL,
    description        TEXT   NOT NULL,
    status             TEXT   NOT NULL,
    close_reason       TEXT,
    region_code        TEXT   NOT NULL,
    opened_at          BIGINT NOT NULL,
    first_response_due BIGINT NOT NULL,
    first_response_at  BIGINT,
    introduced_at      BIGINT,
    signed_at          BIGINT,
    completed_at       BIGINT,
    closed_at          BIGINT,
    rating             BIGINT,
    rating_comment     TEXT,
    rated_at           BIGINT,
    version            BIGINT NOT NULL DEFAULT 1,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX service_orders_org ON service_orders (org_id, opened_at);
CREATE INDEX service_orders_steward ON service_orders (steward_id, status);
CREATE INDEX service_orders_region ON service_orders (region_code, opened_at);
CREATE INDEX service_orders_due ON service_orders (status, first_response_due);

CREATE TABLE order_proposals (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id          BIGINT NOT NULL REFERENCES service_orders (id),
    provider_id       BIGINT NOT NULL REFERENCES users (id),
    item_id           BIGINT REFERENCES items (id),
    proposed_by       BIGINT NOT NULL,
    note              TEXT,
    provider_response TEXT   NOT NULL,
    provider_reason   TEXT,
    provider_text     TEXT,
    provider_at       BIGINT,
    org_response      TEXT   NOT NULL,
    org_reason        TEXT,
    org_text          TEXT,
    org_at            BIGINT,
    created_at        BIGINT NOT NULL,
    UNIQUE (order_id, provider_id)
);
CREATE INDEX order_proposals_provider ON order_proposals (provider_id, provider_response);

CREATE TABLE contracts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_type  TEXT   NOT NULL,
    title          TEXT   NOT NULL,
    buyer_id       BIGINT REFERENCES users (id),
    buyer_name     TEXT   NOT NULL,
    seller_id      BIGINT REFERENCES users (id),
    seller_name    TEXT   NOT NULL,
    region_code    TEXT   NOT NULL,
    amount_yuan    BIGINT NOT NULL,
    signed_on      TEXT   NOT NULL,
    need_id        BIGINT REFERENCES items (id),
    achievement_id BIGINT REFERENCES items (id),
    order_id       BIGINT REFERENCES service_orders (id),
    status         TEXT   NOT NULL,
    return_reason  TEXT,
    registered_by  BIGINT NOT NULL REFERENCES users (id),
    verified_by    BIGINT,
    verified_at    BIGINT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX contracts_region ON contracts (status, region_code, signed_on);
CREATE INDEX contracts_order ON contracts (order_id);

CREATE TABLE contract_attachments (
    contract_id  BIGINT PRIMARY KEY REFERENCES contracts (id),
    size         BIGINT NOT NULL,
    sha256       TEXT   NOT NULL,
    data         BLOB   NOT NULL,
    uploaded_by  BIGINT NOT NULL,
    uploaded_at  BIGINT NOT NULL
);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id BIGINT NOT NULL UNIQUE REFERENCES contracts (id),
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    accepted_at BIGINT
);

CREATE TABLE milestones (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   BIGINT NOT NULL REFERENCES projects (id),
    name         TEXT   NOT NULL,
    due_on       TEXT   NOT NULL,
    deliverable  TEXT   NOT NULL,
    payment_yuan BIGINT,
    status       TEXT   NOT NULL,
    accepted_by  BIGINT,
    accepted_at  BIGINT,
    opinion      TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX milestones_project ON milestones (project_id);
CREATE INDEX milestones_due ON milestones (status, due_on);

CREATE TABLE project_progress (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    author_id  BIGINT NOT NULL REFERENCES users (id),
    text       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX project_progress_project ON project_progress (project_id);
