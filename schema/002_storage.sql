-- 002_storage.sql: each key's stored bytes (its tasks' uploads and results),
-- kept by triggers in the same transaction as the task rows, so that the
-- quota check of a submission reads one row instead of summing every task
-- of its key (two sums a submission, each growing with the key's tasks).

CREATE TABLE storage (
    api_key  TEXT PRIMARY KEY,
    bytes    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO storage (api_key, bytes)
    SELECT api_key, sum(upload_bytes + result_bytes) FROM tasks GROUP BY api_key;

CREATE TRIGGER storage_task_insert AFTER INSERT ON tasks BEGIN
    INSERT INTO storage (api_key, bytes) VALUES (NEW.api_key, NEW.upload_bytes + NEW.result_bytes)
        ON CONFLICT (api_key) DO UPDATE SET bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER storage_task_update AFTER UPDATE OF api_key, upload_bytes, result_bytes ON tasks
WHEN OLD.api_key IS NOT NEW.api_key OR OLD.upload_bytes IS NOT NEW.upload_bytes
     OR OLD.result_bytes IS NOT NEW.result_bytes
BEGIN
    UPDATE storage SET bytes = bytes - OLD.upload_bytes - OLD.result_bytes
        WHERE api_key = OLD.api_key;
    INSERT INTO storage (api_key, bytes) VALUES (NEW.api_key, NEW.upload_bytes + NEW.result_bytes)
        ON CONFLICT (api_key) DO UPDATE SET bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER storage_task_delete AFTER DELETE ON tasks BEGIN
    UPDATE storage SET bytes = bytes - OLD.upload_bytes - OLD.result_bytes
        WHERE api_key = OLD.api_key;
END;
