-- source_files remembers, per data source and key, the version of the file
-- (its ETag, or size and modification time) that a sensor last took, so a
-- file rewritten under the same key is taken again and an unchanged one is
-- not.
CREATE TABLE source_files (
    data_source_model_id bigint NOT NULL,
    key                  text NOT NULL,
    version              text NOT NULL,
    stored_item_id       bigint REFERENCES stored_items (id) ON DELETE CASCADE,
    taken_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (data_source_model_id, key)
);
