package store

import (
	"context"
	"fmt"
)

// A migration is one numbered schema step, written once per dialect. Steps are only
// ever appended: a released step never changes, since stores in the field have
// already applied it.
type migration struct {
	version  int
	sqlite   []string
	postgres []string
	// convert, if set, moves data in Go after the dialect's steps, and then are run
	// after it (the same in both dialects).
	convert func(ctx context.Context, tx execer) error
	then    []string
}

var migrations = []migration{
	{
		// v1: mappings, secrets with one version, functions.
		version: 1,
		sqlite: []string{
			`CREATE TABLE mappings (
				uuid TEXT PRIMARY KEY,
				function_name TEXT NOT NULL,
				event_source_arn TEXT NOT NULL,
				config TEXT NOT NULL DEFAULT '',
				state TEXT NOT NULL DEFAULT '',
				state_transition_reason TEXT NOT NULL DEFAULT '',
				last_processing_result TEXT NOT NULL DEFAULT '',
				last_modified INTEGER NOT NULL DEFAULT 0,
				version INTEGER NOT NULL DEFAULT 1
			)`,
			`CREATE TABLE secrets (
				arn TEXT PRIMARY KEY,
				name TEXT NOT NULL UNIQUE,
				description TEXT NOT NULL DEFAULT '',
				version_id TEXT NOT NULL DEFAULT '',
				value BLOB NOT NULL DEFAULT x'',
				created_date INTEGER NOT NULL DEFAULT 0,
				last_changed_date INTEGER NOT NULL DEFAULT 0,
				tags TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE TABLE functions (
				name TEXT PRIMARY KEY,
				config TEXT NOT NULL DEFAULT '',
				code BLOB NOT NULL DEFAULT x'',
				code_sha256 TEXT NOT NULL DEFAULT '',
				code_size INTEGER NOT NULL DEFAULT 0,
				last_modified INTEGER NOT NULL DEFAULT 0
			)`,
		},
		postgres: []string{
			`CREATE TABLE mappings (
				uuid TEXT COLLATE "C" PRIMARY KEY,
				function_name TEXT NOT NULL,
				event_source_arn TEXT NOT NULL,
				config TEXT NOT NULL DEFAULT '',
				state TEXT NOT NULL DEFAULT '',
				state_transition_reason TEXT NOT NULL DEFAULT '',
				last_processing_result TEXT NOT NULL DEFAULT '',
				last_modified BIGINT NOT NULL DEFAULT 0,
				version BIGINT NOT NULL DEFAULT 1
			)`,
			`CREATE TABLE secrets (
				arn TEXT COLLATE "C" PRIMARY KEY,
				name TEXT COLLATE "C" NOT NULL UNIQUE,
				description TEXT NOT NULL DEFAULT '',
				version_id TEXT NOT NULL DEFAULT '',
				value BYTEA NOT NULL DEFAULT ''::bytea,
				created_date BIGINT NOT NULL DEFAULT 0,
				last_changed_date BIGINT NOT NULL DEFAULT 0,
				tags TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE TABLE functions (
				name TEXT COLLATE "C" PRIMARY KEY,
				config TEXT NOT NULL DEFAULT '',
				code BYTEA NOT NULL DEFAULT ''::bytea,
				code_sha256 TEXT NOT NULL DEFAULT '',
				code_size BIGINT NOT NULL DEFAULT 0,
				last_modified BIGINT NOT NULL DEFAULT 0
			)`,
		},
	},
	{
		// v2: secret versions (AWSPREVIOUS), deletion schedule and optimistic
		// concurrency on secrets; indexes for the ListMappings filters.
		version: 2,
		sqlite: []string{
			`ALTER TABLE secrets ADD COLUMN version_created_date INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE secrets ADD COLUMN previous_version_id TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE secrets ADD COLUMN previous_value BLOB NOT NULL DEFAULT x''`,
			`ALTER TABLE secrets ADD COLUMN previous_created_date INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE secrets ADD COLUMN deleted_date INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE secrets ADD COLUMN deletion_date INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE secrets ADD COLUMN version INTEGER NOT NULL DEFAULT 1`,
			`UPDATE secrets SET version_created_date = last_changed_date WHERE version_id <> ''`,
			`CREATE INDEX mappings_function_name ON mappings (function_name, uuid)`,
			`CREATE INDEX mappings_event_source_arn ON mappings (event_source_arn, uuid)`,
		},
		postgres: []string{
			`ALTER TABLE secrets
				ADD COLUMN version_created_date BIGINT NOT NULL DEFAULT 0,
				ADD COLUMN previous_version_id TEXT NOT NULL DEFAULT '',
				ADD COLUMN previous_value BYTEA NOT NULL DEFAULT ''::bytea,
				ADD COLUMN previous_created_date BIGINT NOT NULL DEFAULT 0,
				ADD COLUMN deleted_date BIGINT NOT NULL DEFAULT 0,
				ADD COLUMN deletion_date BIGINT NOT NULL DEFAULT 0,
				ADD COLUMN version BIGINT NOT NULL DEFAULT 1`,
			`UPDATE secrets SET version_created_date = last_changed_date WHERE version_id <> ''`,
			`CREATE INDEX mappings_function_name ON mappings (function_name, uuid)`,
			`CREATE INDEX mappings_event_source_arn ON mappings (event_source_arn, uuid)`,
		},
	},
	{
		// v3: a mapping is a column per member instead of a JSON config beside
		// copies of its UUID, function and broker; tags are a column of their own.
		version: 3,
		sqlite: []string{
			`DROP INDEX mappings_function_name`,
			`DROP INDEX mappings_event_source_arn`,
			`ALTER TABLE mappings RENAME TO mappings_v2`,
			mappingsV3("TEXT", "INTEGER"),
		},
		postgres: []string{
			`DROP INDEX mappings_function_name`,
			`DROP INDEX mappings_event_source_arn`,
			`ALTER TABLE mappings RENAME TO mappings_v2`,
			mappingsV3(`TEXT COLLATE "C"`, "BIGINT"),
		},
		convert: splitMappings,
		then: []string{
			`DROP TABLE mappings_v2`,
			`CREATE INDEX mappings_function_name ON mappings (function_name, uuid)`,
			`CREATE INDEX mappings_event_source_arn ON mappings (event_source_arn, uuid)`,
		},
	},
	{
		// v4: a secret's KMS key ID and resource policy, kept so that they are
		// returned as given rather than dropped.
		version: 4,
		sqlite: []string{
			`ALTER TABLE secrets ADD COLUMN kms_key_id TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE secrets ADD COLUMN resource_policy TEXT NOT NULL DEFAULT ''`,
		},
		postgres: []string{
			`ALTER TABLE secrets
				ADD COLUMN kms_key_id TEXT NOT NULL DEFAULT '',
				ADD COLUMN resource_policy TEXT NOT NULL DEFAULT ''`,
		},
	},
	{
		// v5: several nodes on one store. A mapping's queue_key (esm.QueueKey of its
		// queue) makes "one mapping per function and queue" a unique index, which
		// holds across nodes where a process mutex did not; settings keeps the
		// secret key's check value. PostgreSQL alone gets the cluster tables
		// (members with leases, the concurrency slots they hold) and triggers that
		// NOTIFY every node of a change to a mapping, secret or function.
		version: 5,
		sqlite: []string{
			`ALTER TABLE mappings ADD COLUMN queue_key TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		},
		postgres: []string{
			`ALTER TABLE mappings ADD COLUMN queue_key TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE settings (name TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL)`,
			`CREATE TABLE cluster_nodes (
				id TEXT COLLATE "C" PRIMARY KEY,
				name TEXT NOT NULL,
				address TEXT NOT NULL DEFAULT '',
				joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
				renewed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
				expires_at TIMESTAMPTZ NOT NULL
			)`,
			`CREATE TABLE cluster_slots (
				mapping_uuid TEXT COLLATE "C" NOT NULL REFERENCES mappings (uuid) ON DELETE CASCADE,
				slot INTEGER NOT NULL,
				node_id TEXT COLLATE "C" NOT NULL REFERENCES cluster_nodes (id) ON DELETE CASCADE,
				claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
				PRIMARY KEY (mapping_uuid, slot)
			)`,
			`CREATE INDEX cluster_slots_node ON cluster_slots (node_id)`,
			notifyFunction("mappings", "uuid"),
			notifyFunction("secrets", "arn"),
			notifyFunction("functions", "name"),
			`CREATE TRIGGER mappings_notify AFTER INSERT OR UPDATE OR DELETE ON mappings
				FOR EACH ROW EXECUTE FUNCTION mqtrigger_notify_mappings()`,
			`CREATE TRIGGER secrets_notify AFTER INSERT OR UPDATE OR DELETE ON secrets
				FOR EACH ROW EXECUTE FUNCTION mqtrigger_notify_secrets()`,
			`CREATE TRIGGER functions_notify AFTER INSERT OR UPDATE OR DELETE ON functions
				FOR EACH ROW EXECUTE FUNCTION mqtrigger_notify_functions()`,
		},
		convert: fillQueueKeys,
		then: []string{
			`CREATE UNIQUE INDEX mappings_source ON mappings (function_name, event_source_arn, queue_key)
				WHERE state <> 'Deleting'`,
		},
	},
	{
		// v6: functions' published versions, aliases and resource policies.
		version: 6,
		sqlite: []string{
			functionVersionsV6("TEXT", "INTEGER", "BLOB NOT NULL DEFAULT x''"),
			`CREATE TABLE function_aliases (
				function TEXT NOT NULL,
				name TEXT NOT NULL,
				config TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (function, name)
			)`,
			`CREATE TABLE function_policies (
				function TEXT NOT NULL,
				qualifier TEXT NOT NULL,
				policy TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (function, qualifier)
			)`,
		},
		postgres: []string{
			functionVersionsV6(`TEXT COLLATE "C"`, "BIGINT", "BYTEA NOT NULL DEFAULT ''::bytea"),
			`CREATE TABLE function_aliases (
				function TEXT COLLATE "C" NOT NULL,
				name TEXT COLLATE "C" NOT NULL,
				config TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (function, name)
			)`,
			`CREATE TABLE function_policies (
				function TEXT COLLATE "C" NOT NULL,
				qualifier TEXT COLLATE "C" NOT NULL,
				policy TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (function, qualifier)
			)`,
			// An alias moved on one node is followed at once by every node.
			notifyAs("function_aliases", "functions", "function"),
			notifyAs("function_versions", "functions", "name"),
			`CREATE TRIGGER function_aliases_notify AFTER INSERT OR UPDATE OR DELETE ON function_aliases
				FOR EACH ROW EXECUTE FUNCTION mqtrigger_notify_function_aliases()`,
			`CREATE TRIGGER function_versions_notify AFTER INSERT OR UPDATE OR DELETE ON function_versions
				FOR EACH ROW EXECUTE FUNCTION mqtrigger_notify_function_versions()`,
		},
	},
}

// functionVersionsV6 is schema version 6's function_versions table, in a dialect's
// types. Like every step, it never changes once released.
func functionVersionsV6(key, integer, bytes string) string {
	return `CREATE TABLE function_versions (
		name ` + key + ` NOT NULL,
		version ` + integer + ` NOT NULL,
		config TEXT NOT NULL DEFAULT '',
		code ` + bytes + `,
		code_sha256 TEXT NOT NULL DEFAULT '',
		code_size ` + integer + ` NOT NULL DEFAULT 0,
		last_modified ` + integer + ` NOT NULL DEFAULT 0,
		PRIMARY KEY (name, version)
	)`
}

// mappingsV3 is schema version 3's mappings table, in a dialect's key and integer
// types. Like every step, it never changes once released.
func mappingsV3(key, integer string) string {
	return `CREATE TABLE mappings (
		uuid ` + key + ` PRIMARY KEY,
		function_name TEXT NOT NULL,
		function_arn TEXT NOT NULL DEFAULT '',
		event_source_arn TEXT NOT NULL,
		queue TEXT NOT NULL DEFAULT '',
		enabled BOOLEAN NOT NULL DEFAULT FALSE,
		batch_size ` + integer + ` NOT NULL DEFAULT 0,
		batching_window ` + integer + `,
		max_concurrency ` + integer + ` NOT NULL DEFAULT 0,
		maximum_retry_attempts ` + integer + `,
		function_response_types TEXT NOT NULL DEFAULT '',
		filter_criteria TEXT NOT NULL DEFAULT '',
		source_access TEXT NOT NULL DEFAULT '',
		metrics_config TEXT NOT NULL DEFAULT '',
		kms_key_arn TEXT NOT NULL DEFAULT '',
		tags TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL DEFAULT '',
		state_transition_reason TEXT NOT NULL DEFAULT '',
		last_processing_result TEXT NOT NULL DEFAULT '',
		last_modified ` + integer + ` NOT NULL DEFAULT 0,
		version ` + integer + ` NOT NULL DEFAULT 1
	)`
}

// notifyFunction is schema version 5's trigger function for one table: it sends
// "<table>:<key>" on the channel NotifyChannel names for the table's schema, so
// nodes sharing a database in different schemas do not hear each other.
func notifyFunction(table, key string) string { return notifyAs(table, table, key) }

// notifyAs is notifyFunction for a table whose changes are told as another kind's
// (a function's aliases, versions and policies as a change to the function).
func notifyAs(table, kind, key string) string {
	return `CREATE FUNCTION mqtrigger_notify_` + table + `() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP = 'DELETE' THEN
			PERFORM pg_notify('mqtrigger:' || TG_TABLE_SCHEMA, '` + kind + `:' || OLD.` + key + `);
		ELSE
			PERFORM pg_notify('mqtrigger:' || TG_TABLE_SCHEMA, '` + kind + `:' || NEW.` + key + `);
		END IF;
		RETURN NULL;
	END $$`
}

// schemaVersion is the newest schema this binary knows.
func schemaVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the schema up to schemaVersion in one transaction. lock, if not
// empty, is run first inside the transaction so that nodes starting together
// migrate one at a time.
func migrate(ctx context.Context, c conn, postgres bool, lock string) error {
	return c.inTx(ctx, func(tx execer) error {
		if lock != "" {
			if _, err := tx.exec(ctx, lock); err != nil {
				return fmt.Errorf("store: lock for migration: %w", err)
			}
		}
		if _, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			applied_at BIGINT NOT NULL
		)`); err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		var current int
		if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("store: read schema version: %w", err)
		}
		if current > schemaVersion() {
			return fmt.Errorf("%w: the store is at schema version %d, this mqtrigger knows up to %d; run a newer mqtrigger against it, or point this one at another data directory or database",
				ErrSchemaTooNew, current, schemaVersion())
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			steps := m.sqlite
			if postgres {
				steps = m.postgres
			}
			for i, q := range steps {
				if _, err := tx.exec(ctx, q); err != nil {
					return fmt.Errorf("store: migrate to schema version %d, step %d: %w", m.version, i+1, err)
				}
			}
			if m.convert != nil {
				if err := m.convert(ctx, tx); err != nil {
					return fmt.Errorf("store: migrate to schema version %d, converting data: %w", m.version, err)
				}
			}
			for i, q := range m.then {
				if _, err := tx.exec(ctx, q); err != nil {
					return fmt.Errorf("store: migrate to schema version %d, step %d: %w", m.version, len(steps)+i+1, err)
				}
			}
			if _, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.version, nowNanos()); err != nil {
				return fmt.Errorf("store: record schema version %d: %w", m.version, err)
			}
		}
		return nil
	})
}
