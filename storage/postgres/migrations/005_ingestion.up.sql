-- Row signatures a dataset ignores: rows with them are skipped and counted
-- as ignored (issue: ignore_line_signature, the ignore_row actions).
CREATE TABLE ignored_line_signatures (
    dataset_id           bigint NOT NULL REFERENCES datasets (id),
    -- NULL: every data source of the dataset.
    data_source_model_id bigint REFERENCES data_source_models (id),
    signature            text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ignored_line_signatures_key ON ignored_line_signatures (dataset_id, COALESCE(data_source_model_id, 0), signature);

-- Which stored items an alert is about, for the alerts that block a file.
CREATE INDEX alert_items_stored_item_idx ON alert_items (((doc->>'stored_item_id')::bigint)) WHERE NOT resolved;
