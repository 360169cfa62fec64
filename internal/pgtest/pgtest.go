// Package pgtest gives tests a PostgreSQL schema of their own.
//
// MQTRIGGER_TEST_POSTGRES names the database (default: the local test database at
// 127.0.0.1:5432); MQTRIGGER_TEST_POSTGRES=off skips the tests that need it. An
// unreachable database fails them, so a missing server is never mistaken for a pass.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the database used when MQTRIGGER_TEST_POSTGRES is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL is the database the tests use; it skips the test when PostgreSQL tests are off.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("MQTRIGGER_TEST_POSTGRES")
	if u == "off" {
		t.Skip("MQTRIGGER_TEST_POSTGRES=off")
	}
	if u == "" {
		u = DefaultURL
	}
	return u
}

// Schema creates a fresh schema, dropped when the test ends, and returns a URL whose
// search_path selects it.
func Schema(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable: %v (start it, point MQTRIGGER_TEST_POSTGRES at another one, or set MQTRIGGER_TEST_POSTGRES=off)", redact(base), err)
	}
	defer c.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "mqt_" + hex.EncodeToString(b)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
