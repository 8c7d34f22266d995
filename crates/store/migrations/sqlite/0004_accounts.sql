-- Keys the server makes once and every process sharing this database uses
-- (the key that signs the pre-login CSRF value). The first writer wins.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
