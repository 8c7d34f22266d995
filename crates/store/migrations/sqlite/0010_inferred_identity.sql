-- Issue 9: "me" is one mechanism for every user. A link is either said by
-- the user (`user`: the player-names form, the identities API) or inferred
-- by the platform from the user's own recordings (`inferred`: at most one per
-- user and kind, and only while the user has no link of their own for that
-- kind). Both kinds of link set the stored "me" and outcome the same way, so
-- lists, pages and the coach read one answer. Every link made before this
-- migration was the user's.
ALTER TABLE identity_links ADD COLUMN source TEXT NOT NULL DEFAULT 'user'
    CHECK (source IN ('user', 'inferred'));

-- The inference counts a user's recordings per participant of one kind: the
-- owner links of that user and kind, then each recording's participants by
-- primary key.
CREATE INDEX recording_owners_user_kind ON recording_owners (user_id, kind, recording_id);
