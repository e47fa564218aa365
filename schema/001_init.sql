-- 001_init.sql: accounts, tasks and per-account lists.
-- Times are Unix milliseconds on the server's virtual clock.

CREATE TABLE accounts (
    api_key     TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    credits     INTEGER,              -- NULL = unlimited
    charged     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tasks (
    id                 TEXT PRIMARY KEY,       -- UUIDv4
    api_key            TEXT NOT NULL,
    project_name       TEXT NOT NULL,
    filename           TEXT NOT NULL,          -- client's name, display only
    format             TEXT NOT NULL CHECK (format IN ('csv','tsv','txt','xlsx')),
    deduplicate        INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('processing','completed','failed')),
    error              TEXT,
    created_at         INTEGER NOT NULL,
    finished_at        INTEGER,
    rows               INTEGER NOT NULL DEFAULT 0,
    duplicates_removed INTEGER NOT NULL DEFAULT 0,
    invalid            INTEGER NOT NULL DEFAULT 0,
    charged            INTEGER NOT NULL DEFAULT 0,
    upload_bytes       INTEGER NOT NULL DEFAULT 0,
    result_bytes       INTEGER NOT NULL DEFAULT 0,
    fault_fail         TEXT,                   -- armed job fault: fail with this error
    fault_delay_ms     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tasks_by_key ON tasks (api_key, created_at);
CREATE INDEX tasks_by_status ON tasks (status);

CREATE TABLE account_lists (
    api_key  TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('white','grey','black')),
    body     TEXT NOT NULL,
    PRIMARY KEY (api_key, kind)
);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
