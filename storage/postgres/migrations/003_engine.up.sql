-- The engine's objects become documents like the configuration objects, with
-- the columns the engine filters, joins and locks on generated from them.
-- 001 created them as placeholders; nothing has written to them yet.
DROP TABLE IF EXISTS analysis_tasks, training_data_items, training_jobs, ingestion_jobs, alert_items, migration_models, stored_items CASCADE;

CREATE TABLE stored_items (
    id                   bigserial PRIMARY KEY,
    version_id           bigint NOT NULL DEFAULT 1,
    doc                  jsonb NOT NULL,
    dataset_id           bigint GENERATED ALWAYS AS ((doc->>'dataset_id')::bigint) STORED REFERENCES datasets (id),
    data_source_model_id bigint GENERATED ALWAYS AS ((doc->>'data_source_model_id')::bigint) STORED REFERENCES data_source_models (id),
    parent_id            bigint GENERATED ALWAYS AS ((doc->>'parent_id')::bigint) STORED REFERENCES stored_items (id),
    signature            text GENERATED ALWAYS AS (NULLIF(doc->>'signature', '')) STORED,
    duplicate_of_id      bigint GENERATED ALWAYS AS ((doc->>'duplicate_of_id')::bigint) STORED,
    is_uploaded_via_signed_url boolean GENERATED ALWAYS AS ((doc->>'is_uploaded_via_signed_url')::boolean) STORED,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stored_items_signature_idx ON stored_items (dataset_id, signature);
CREATE INDEX stored_items_source_idx ON stored_items (data_source_model_id, id);

CREATE TABLE migration_models (
    id                bigserial PRIMARY KEY,
    version_id        bigint NOT NULL DEFAULT 1,
    doc               jsonb NOT NULL,
    dataset_id        bigint GENERATED ALWAYS AS ((doc->>'dataset_id')::bigint) STORED REFERENCES datasets (id),
    settings_model_id bigint GENERATED ALWAYS AS ((doc->>'settings_model_id')::bigint) STORED REFERENCES settings_models (id),
    state             text GENERATED ALWAYS AS (doc->>'state') STORED,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- At most one current migration per dataset.
CREATE UNIQUE INDEX migration_models_current_key ON migration_models (dataset_id) WHERE state = 'current';

CREATE TABLE training_jobs (
    id                bigserial PRIMARY KEY,
    version_id        bigint NOT NULL DEFAULT 1,
    doc               jsonb NOT NULL,
    dataset_id        bigint GENERATED ALWAYS AS ((doc->>'dataset_id')::bigint) STORED REFERENCES datasets (id),
    state             text GENERATED ALWAYS AS (doc->>'state') STORED,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_jobs_dataset_idx ON training_jobs (dataset_id, state);

CREATE TABLE training_data_items (
    id             bigserial PRIMARY KEY,
    version_id     bigint NOT NULL DEFAULT 1,
    doc            jsonb NOT NULL,
    dataset_id     bigint GENERATED ALWAYS AS ((doc->>'dataset_id')::bigint) STORED REFERENCES datasets (id),
    stored_item_id bigint GENERATED ALWAYS AS ((doc->>'stored_item_id')::bigint) STORED REFERENCES stored_items (id),
    enabled        boolean GENERATED ALWAYS AS ((doc->>'enabled')::boolean) STORED,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX training_data_items_stored_item_key ON training_data_items (stored_item_id);

CREATE TABLE analysis_tasks (
    id                    bigserial PRIMARY KEY,
    version_id            bigint NOT NULL DEFAULT 1,
    doc                   jsonb NOT NULL,
    training_job_id       bigint GENERATED ALWAYS AS ((doc->>'training_job_id')::bigint) STORED REFERENCES training_jobs (id),
    training_data_item_id bigint GENERATED ALWAYS AS ((doc->>'training_data_item_id')::bigint) STORED REFERENCES training_data_items (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX analysis_tasks_key ON analysis_tasks (training_job_id, training_data_item_id);

CREATE TABLE alert_items (
    id                   bigserial PRIMARY KEY,
    version_id           bigint NOT NULL DEFAULT 1,
    doc                  jsonb NOT NULL,
    dataset_id           bigint GENERATED ALWAYS AS ((doc->>'dataset_id')::bigint) STORED REFERENCES datasets (id),
    data_source_model_id bigint GENERATED ALWAYS AS ((doc->>'data_source_model_id')::bigint) STORED REFERENCES data_source_models (id),
    alert_type           text GENERATED ALWAYS AS (doc->>'alert_type') STORED,
    resolved             boolean GENERATED ALWAYS AS (COALESCE((doc->>'resolved')::boolean, false)) STORED,
    is_muted             boolean GENERATED ALWAYS AS (COALESCE((doc->>'is_muted')::boolean, false)) STORED,
    -- What the alert aggregates on: the same problem of the same field of the same dataset is one alert with a count.
    aggregate_key        text GENERATED ALWAYS AS (doc->>'aggregate_key') STORED,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alert_items_aggregate_key ON alert_items (aggregate_key) WHERE NOT resolved AND aggregate_key IS NOT NULL;
CREATE INDEX alert_items_dataset_idx ON alert_items (dataset_id, resolved);

CREATE TABLE ingestion_jobs (
    id                   bigserial PRIMARY KEY,
    version_id           bigint NOT NULL DEFAULT 1,
    doc                  jsonb NOT NULL,
    dataset_id           bigint GENERATED ALWAYS AS ((doc->>'dataset_id')::bigint) STORED REFERENCES datasets (id),
    data_source_model_id bigint GENERATED ALWAYS AS ((doc->>'data_source_model_id')::bigint) STORED REFERENCES data_source_models (id),
    stored_item_id       bigint GENERATED ALWAYS AS ((doc->>'stored_item_id')::bigint) STORED REFERENCES stored_items (id),
    state                text GENERATED ALWAYS AS (doc->>'state') STORED,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingestion_jobs_dataset_idx ON ingestion_jobs (dataset_id, state);
CREATE INDEX ingestion_jobs_stored_item_idx ON ingestion_jobs (stored_item_id);
