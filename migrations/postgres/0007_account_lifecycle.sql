-- Account lifecycle: an admin can disable an account (it cannot sign in, its sessions
-- stop working), and every change to an account is logged with who made it. Keep in
-- step with ../sqlite/0007_account_lifecycle.sql.

ALTER TABLE users ADD COLUMN disabled_at BIGINT;

CREATE TABLE account_changes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('password_changed', 'password_reset',
               'disabled', 'enabled', 'sessions_ended', 'made_admin', 'made_viewer')),
    -- The email of the account that made the change.
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX account_changes_by_time ON account_changes (changed_at, id);

-- Ending an account's sessions deletes them by account.
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Like users and sessions: the console directory, outside row-level security
-- (store/tests/postgres_rls.rs lists it among the exemptions).
