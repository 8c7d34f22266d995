-- The usage plan an operator put the user on; NULL means the configured default.
ALTER TABLE users ADD COLUMN plan TEXT;
