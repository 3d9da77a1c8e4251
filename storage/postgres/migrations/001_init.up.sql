-- The metadata store of Qluster. Configuration objects keep their fields in a
-- jsonb document (validated against the API contract before it is written) and
-- expose the columns the store filters, joins and locks on as real columns,
-- most of them generated from the document so the two can never disagree.

CREATE TABLE users (
    id                    uuid PRIMARY KEY,
    email                 text NOT NULL,
    password_hash         text NOT NULL,
    first_name            text NOT NULL DEFAULT '',
    last_name             text NOT NULL DEFAULT '',
    is_active             boolean NOT NULL DEFAULT true,
    is_verified           boolean NOT NULL DEFAULT false,
    user_type             text NOT NULL,
    data_source_model_ids bigint[] NOT NULL DEFAULT '{}',
    created_by_user_id    uuid REFERENCES users (id),
    last_failed_logins_at timestamptz[] NOT NULL DEFAULT '{}',
    locked_until          timestamptz,
    seq                   bigserial NOT NULL UNIQUE,
    version_id            bigint NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE history (
    id          bigserial PRIMARY KEY,
    table_name  text NOT NULL,
    object_id   text NOT NULL,
    version_id  bigint NOT NULL,
    operation   text NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
    whodunit_id uuid,
    before      jsonb,
    after       jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_object_idx ON history (table_name, object_id, id);

CREATE TABLE destinations (
    id               bigserial PRIMARY KEY,
    version_id       bigint NOT NULL DEFAULT 1,
    doc              jsonb NOT NULL,
    name             text GENERATED ALWAYS AS (doc->>'name') STORED,
    destination_type text GENERATED ALWAYS AS (doc->>'destination_type') STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX destinations_name_key ON destinations (name);

CREATE TABLE backup_settings (
    id          bigserial PRIMARY KEY,
    version_id  bigint NOT NULL DEFAULT 1,
    doc         jsonb NOT NULL,
    backup_type text GENERATED ALWAYS AS (doc->>'backup_type') STORED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE datasets (
    id                 bigserial PRIMARY KEY,
    version_id         bigint NOT NULL DEFAULT 1,
    doc                jsonb NOT NULL,
    name               text GENERATED ALWAYS AS (doc->>'name') STORED,
    state              text GENERATED ALWAYS AS (doc->>'state') STORED,
    destination_id     bigint GENERATED ALWAYS AS ((doc->>'destination_id')::bigint) STORED REFERENCES destinations (id),
    backup_settings_id bigint GENERATED ALWAYS AS ((doc->>'backup_settings_id')::bigint) STORED REFERENCES backup_settings (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX datasets_name_key ON datasets (name) WHERE state <> 'deleted';
CREATE UNIQUE INDEX datasets_table_key ON datasets ((doc->>'database_name'), (doc->>'schema_name'), (doc->>'table_name')) WHERE state <> 'deleted';

CREATE TABLE settings_models (
    id         bigserial PRIMARY KEY,
    version_id bigint NOT NULL DEFAULT 1,
    dataset_id bigint NOT NULL UNIQUE REFERENCES datasets (id),
    doc        jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE data_source_models (
    id                bigserial PRIMARY KEY,
    version_id        bigint NOT NULL DEFAULT 1,
    doc               jsonb NOT NULL,
    name              text GENERATED ALWAYS AS (doc->>'name') STORED,
    state             text GENERATED ALWAYS AS (doc->>'state') STORED,
    data_source_type  text GENERATED ALWAYS AS (doc->>'data_source_type') STORED,
    dataset_id        bigint GENERATED ALWAYS AS ((doc->>'dataset_id')::bigint) STORED REFERENCES datasets (id),
    settings_model_id bigint GENERATED ALWAYS AS ((doc->>'settings_model_id')::bigint) STORED REFERENCES settings_models (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX data_source_models_name_key ON data_source_models (dataset_id, name) WHERE state <> 'deleted';

CREATE TABLE fatal_errors (
    id                   bigserial PRIMARY KEY,
    job_name             text NOT NULL DEFAULT '',
    job_type             text NOT NULL DEFAULT 'job',
    error                text NOT NULL,
    module               text NOT NULL,
    msg                  text NOT NULL,
    stack_trace          text NOT NULL DEFAULT '',
    data_source_model_id bigint,
    settings_model_id    bigint,
    alert_item_id        bigint,
    stored_item_id       bigint,
    dataset_id           bigint,
    meta_data            jsonb NOT NULL DEFAULT '{}',
    count                bigint NOT NULL DEFAULT 1,
    deleted              boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX fatal_errors_aggregate_key ON fatal_errors (job_name, error) WHERE NOT deleted;

-- The objects of the engine. Later migrations add the columns their parts need.
CREATE TABLE stored_items (
    id                   bigserial PRIMARY KEY,
    dataset_id           bigint REFERENCES datasets (id),
    data_source_model_id bigint REFERENCES data_source_models (id),
    parent_id            bigint REFERENCES stored_items (id),
    key                  text NOT NULL DEFAULT '',
    signature            text,
    doc                  jsonb NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_items (
    id                   bigserial PRIMARY KEY,
    dataset_id           bigint REFERENCES datasets (id),
    data_source_model_id bigint REFERENCES data_source_models (id),
    alert_type           text NOT NULL,
    resolved             boolean NOT NULL DEFAULT false,
    is_muted             boolean NOT NULL DEFAULT false,
    doc                  jsonb NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now(),
    resolved_at          timestamptz
);

CREATE TABLE migration_models (
    id                bigserial PRIMARY KEY,
    dataset_id        bigint REFERENCES datasets (id),
    settings_model_id bigint REFERENCES settings_models (id),
    state             text NOT NULL DEFAULT 'draft',
    down_id           bigint REFERENCES migration_models (id),
    doc               jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE training_jobs (
    id                bigserial PRIMARY KEY,
    dataset_id        bigint REFERENCES datasets (id),
    settings_model_id bigint REFERENCES settings_models (id),
    state             text NOT NULL DEFAULT 'created',
    doc               jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE training_data_items (
    id             bigserial PRIMARY KEY,
    dataset_id     bigint REFERENCES datasets (id),
    stored_item_id bigint REFERENCES stored_items (id),
    enabled        boolean NOT NULL DEFAULT true,
    doc            jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE analysis_tasks (
    training_job_id       bigint NOT NULL REFERENCES training_jobs (id),
    training_data_item_id bigint NOT NULL REFERENCES training_data_items (id),
    state                 text NOT NULL DEFAULT 'created',
    doc                   jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (training_job_id, training_data_item_id)
);

CREATE TABLE ingestion_jobs (
    id                   bigserial PRIMARY KEY,
    dataset_id           bigint REFERENCES datasets (id),
    data_source_model_id bigint REFERENCES data_source_models (id),
    stored_item_id       bigint REFERENCES stored_items (id),
    state                text NOT NULL DEFAULT 'created',
    doc                  jsonb NOT NULL DEFAULT '{}',
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE queue_messages (
    id                   bigserial PRIMARY KEY,
    q_name               text NOT NULL,
    key                  text,
    data                 jsonb NOT NULL DEFAULT '{}',
    data_source_model_id bigint,
    schedule_at          timestamptz NOT NULL DEFAULT now(),
    expected_at          timestamptz,
    enqueued_at          timestamptz NOT NULL DEFAULT now(),
    dequeued_at          timestamptz,
    acknowledged         boolean NOT NULL DEFAULT false,
    put_count            integer NOT NULL DEFAULT 1,
    receive_count        integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX queue_messages_pending_key ON queue_messages (q_name, key) WHERE NOT acknowledged AND key IS NOT NULL;
CREATE INDEX queue_messages_ready_idx ON queue_messages (q_name, schedule_at) WHERE NOT acknowledged;
