-- The objects a fresh installation makes so a dataset needs nothing else:
-- the default backup settings (local storage) and the default destination.
CREATE TABLE qluster_defaults (
    name      text PRIMARY KEY,
    object_id bigint NOT NULL
);
