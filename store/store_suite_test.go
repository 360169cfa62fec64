package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
)

// testStore is the behaviour every Store must have. open returns a new, empty store
// that the test may use alone.
func testStore(t *testing.T, open func(t *testing.T) Store) {
	t.Run("Mappings", func(t *testing.T) { t.Parallel(); testMappings(t, open(t)) })
	t.Run("ListMappings", func(t *testing.T) { t.Parallel(); testListMappings(t, open(t)) })
	t.Run("DuplicateMappings", func(t *testing.T) { t.Parallel(); testDuplicateMappings(t, open(t)) })
	t.Run("Settings", func(t *testing.T) { t.Parallel(); testSettings(t, open(t)) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { t.Parallel(); testConcurrentUpdates(t, open(t)) })
	t.Run("Secrets", func(t *testing.T) { t.Parallel(); testSecrets(t, open(t)) })
	t.Run("Functions", func(t *testing.T) { t.Parallel(); testFunctions(t, open(t)) })
	t.Run("FunctionVersions", func(t *testing.T) { t.Parallel(); testFunctionVersions(t, open(t)) })
	t.Run("Canceled", func(t *testing.T) {
		t.Parallel()
		st := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := st.GetMapping(ctx, "x"); err == nil || errors.Is(err, esm.ErrNotFound) {
			t.Fatalf("GetMapping with a canceled context: got %v, want a context error", err)
		}
	})
}

// ts is a fixed time with nanoseconds, to check that times survive exactly.
var ts = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

func intp(v int) *int { return &v }

func sampleMapping(uuid, fn, arn string) *esm.Mapping {
	return &esm.Mapping{
		UUID: uuid,
		Config: esm.Config{FunctionName: fn, EventSourceArn: arn, FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:" + fn,
			BatchSize: 10, Queues: []string{"q"}, Enabled: true,
			SourceAccessConfigurations: []esm.SourceAccessConfiguration{{Type: "BASIC_AUTH", URI: "arn:secret"}}},
		State:                 "Creating",
		StateTransitionReason: "USER_INITIATED",
		LastProcessingResult:  "No records processed",
		LastModified:          ts,
	}
}

func equalMapping(t *testing.T, got, want *esm.Mapping) {
	t.Helper()
	g, w := *got, *want
	if !g.LastModified.Equal(w.LastModified) {
		t.Fatalf("mapping %s: LastModified %v, want %v", w.UUID, g.LastModified, w.LastModified)
	}
	g.LastModified, w.LastModified = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("mapping:\n got %+v\nwant %+v", got, want)
	}
}

// fullMapping sets every member, so that each column is seen to round-trip.
func fullMapping(uuid string) *esm.Mapping {
	m := sampleMapping(uuid, "full", "arn:aws:mq:us-east-1:123456789012:broker:b:b-1")
	m.MaximumBatchingWindowInSeconds = intp(0)
	m.FilterCriteria = &esm.FilterCriteria{Filters: []esm.Filter{{Pattern: `{"data":{"a":[1]}}`}}}
	m.ScalingConfig = &esm.ScalingConfig{MaximumConcurrency: 7}
	m.FunctionResponseTypes = []string{"ReportBatchItemFailures"}
	m.MaximumRetryAttempts = intp(-1)
	m.MetricsConfig = &esm.MetricsConfig{Metrics: []string{"EventCount"}}
	m.KMSKeyArn = "arn:aws:kms:us-east-1:123456789012:key/1"
	m.Tags = map[string]string{"team": "orders", "empty": ""}
	m.StateTransitionReason = "EVENT_SOURCE_AUTHN_ERROR"
	m.LastProcessingResult = "PROBLEM: x"
	return m
}

func testMappings(t *testing.T, st Store) {
	ctx := context.Background()
	m := sampleMapping("a1", "fn", "arn:aws:mq:us-east-1:123456789012:broker:b:b-1")
	if err := st.CreateMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	if m.Version != 1 {
		t.Fatalf("Version after create = %d, want 1", m.Version)
	}
	got, err := st.GetMapping(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	equalMapping(t, got, m)

	if err := st.CreateMapping(ctx, sampleMapping("a1", "other", "x")); !errors.Is(err, esm.ErrExists) {
		t.Fatalf("create a taken UUID: got %v, want ErrExists", err)
	}
	if _, err := st.GetMapping(ctx, "nope"); !errors.Is(err, esm.ErrNotFound) {
		t.Fatalf("get unknown: got %v, want ErrNotFound", err)
	}

	got.State, got.BatchSize, got.LastModified = "Enabled", 2, ts.Add(time.Second)
	if err := st.UpdateMapping(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Fatalf("Version after update = %d, want 2", got.Version)
	}
	again, err := st.GetMapping(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	equalMapping(t, again, got)

	stale := *m // still Version 1
	stale.State = "Disabled"
	if err := st.UpdateMapping(ctx, &stale); !errors.Is(err, esm.ErrConflict) {
		t.Fatalf("update with a stale Version: got %v, want ErrConflict", err)
	}
	if stale.Version != 1 {
		t.Fatalf("a failed update changed Version to %d", stale.Version)
	}
	if again, _ := st.GetMapping(ctx, "a1"); again.State != "Enabled" {
		t.Fatalf("a stale update was written: state %q", again.State)
	}
	if err := st.UpdateMapping(ctx, sampleMapping("nope", "f", "a")); !errors.Is(err, esm.ErrNotFound) {
		t.Fatalf("update unknown: got %v, want ErrNotFound", err)
	}

	if err := st.DeleteMapping(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMapping(ctx, "a1"); !errors.Is(err, esm.ErrNotFound) {
		t.Fatalf("delete twice: got %v, want ErrNotFound", err)
	}
	if _, err := st.GetMapping(ctx, "a1"); !errors.Is(err, esm.ErrNotFound) {
		t.Fatalf("get after delete: got %v, want ErrNotFound", err)
	}
	// Unset members round-trip as unset, set ones as set.
	for _, m := range []*esm.Mapping{{UUID: "b", Config: esm.Config{FunctionName: "f", EventSourceArn: "a"}}, fullMapping("f")} {
		if err := st.CreateMapping(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetMapping(ctx, m.UUID)
		if err != nil {
			t.Fatal(err)
		}
		equalMapping(t, got, m)
	}
}

func uuids(ms []*esm.Mapping) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.UUID)
	}
	return out
}

func testListMappings(t *testing.T, st Store) {
	ctx := context.Background()
	if ms, err := st.ListMappings(ctx, esm.ListFilter{}); err != nil || len(ms) != 0 {
		t.Fatalf("list empty store: %v, %v", ms, err)
	}
	// Inserted out of order; fn/arn alternate so filters select known subsets.
	ids := []string{"07", "03", "01", "05", "02", "06", "04", "08"}
	for i, id := range ids {
		fn := fmt.Sprintf("fn%d", i%2)
		arn := fmt.Sprintf("arn%d", i%3)
		m := sampleMapping(id, fn, arn)
		m.Queues = []string{"q" + id} // one mapping per function and queue
		if err := st.CreateMapping(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	want := func(keep func(i int) bool) []string {
		var out []string
		for _, id := range []string{"01", "02", "03", "04", "05", "06", "07", "08"} {
			for i, x := range ids {
				if x == id && keep(i) {
					out = append(out, id)
				}
			}
		}
		return out
	}
	tests := []struct {
		name string
		f    esm.ListFilter
		want []string
	}{
		{"all", esm.ListFilter{}, want(func(int) bool { return true })},
		{"function", esm.ListFilter{FunctionName: "fn1"}, want(func(i int) bool { return i%2 == 1 })},
		{"arn", esm.ListFilter{EventSourceArn: "arn0"}, want(func(i int) bool { return i%3 == 0 })},
		{"both", esm.ListFilter{FunctionName: "fn0", EventSourceArn: "arn2"}, want(func(i int) bool { return i%2 == 0 && i%3 == 2 })},
		{"marker", esm.ListFilter{Marker: "05"}, []string{"06", "07", "08"}},
		{"limit", esm.ListFilter{Limit: 2}, []string{"01", "02"}},
		{"marker+limit", esm.ListFilter{Marker: "02", Limit: 2}, []string{"03", "04"}},
		{"past the end", esm.ListFilter{Marker: "08"}, nil},
		{"no match", esm.ListFilter{FunctionName: "nope"}, nil},
	}
	for _, tc := range tests {
		ms, err := st.ListMappings(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := uuids(ms); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// Paging by marker walks every mapping of a filter exactly once.
	for _, f := range []esm.ListFilter{{Limit: 3}, {Limit: 1, FunctionName: "fn0"}} {
		var all []string
		for page := 0; ; page++ {
			ms, err := st.ListMappings(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) > f.Limit || page > 10 {
				t.Fatalf("page of %d for limit %d", len(ms), f.Limit)
			}
			all = append(all, uuids(ms)...)
			if len(ms) < f.Limit {
				break
			}
			f.Marker = ms[len(ms)-1].UUID
		}
		full, _ := st.ListMappings(ctx, esm.ListFilter{FunctionName: f.FunctionName})
		if fmt.Sprint(all) != fmt.Sprint(uuids(full)) {
			t.Fatalf("paging: got %v, want %v", all, uuids(full))
		}
	}
	if _, err := st.ListMappings(ctx, esm.ListFilter{Limit: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}
	m, _ := st.GetMapping(ctx, "03")
	if ms, _ := st.ListMappings(ctx, esm.ListFilter{Marker: "02", Limit: 1}); len(ms) != 1 {
		t.Fatalf("got %d mappings", len(ms))
	} else {
		equalMapping(t, ms[0], m)
	}
}

// testConcurrentUpdates: of several writers that read the same Version, exactly one
// wins each round.
func testConcurrentUpdates(t *testing.T, st Store) {
	ctx := context.Background()
	if err := st.CreateMapping(ctx, sampleMapping("c", "f", "a")); err != nil {
		t.Fatal(err)
	}
	sec := sampleSecret("conc")
	if err := st.CreateSecret(ctx, sec); err != nil {
		t.Fatal(err)
	}
	const writers = 4
	for round := 0; round < 5; round++ {
		base, err := st.GetMapping(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		baseSec, err := st.GetSecret(ctx, "conc")
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2*writers)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				m := *base
				m.State = fmt.Sprintf("w%d", w)
				errs <- st.UpdateMapping(ctx, &m)
			}()
			go func() {
				defer wg.Done()
				s := *baseSec
				s.Description = fmt.Sprintf("w%d", w)
				errs <- st.UpdateSecret(ctx, &s)
			}()
		}
		wg.Wait()
		close(errs)
		wins := 0
		for err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrConflict), errors.Is(err, esm.ErrConflict):
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if wins != 2 { // one mapping writer and one secret writer
			t.Fatalf("round %d: %d updates won, want exactly 1 per record", round, wins)
		}
		after, _ := st.GetMapping(ctx, "c")
		if after.Version != base.Version+1 {
			t.Fatalf("round %d: Version %d, want %d", round, after.Version, base.Version+1)
		}
	}
}

func sampleSecret(name string) *Secret {
	return &Secret{
		ARN:                 "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbC123",
		Name:                name,
		Description:         "d",
		VersionID:           "v2",
		Value:               []byte{0, 1, 2, 0xff},
		CreatedDate:         ts,
		LastChangedDate:     ts.Add(time.Minute),
		Tags:                []byte(`[{"Key":"k","Value":"v"}]`),
		VersionCreatedDate:  ts.Add(time.Minute),
		PreviousVersionID:   "v1",
		PreviousValue:       []byte{9, 8},
		PreviousCreatedDate: ts,
		KmsKeyID:            "alias/app",
		ResourcePolicy:      `{"Version":"2012-10-17"}`,
	}
}

func equalSecret(t *testing.T, got, want *Secret) {
	t.Helper()
	if got.ARN != want.ARN || got.Name != want.Name || got.Description != want.Description ||
		got.VersionID != want.VersionID || !bytes.Equal(got.Value, want.Value) ||
		!got.CreatedDate.Equal(want.CreatedDate) || !got.LastChangedDate.Equal(want.LastChangedDate) ||
		!bytes.Equal(got.Tags, want.Tags) || !got.VersionCreatedDate.Equal(want.VersionCreatedDate) ||
		got.PreviousVersionID != want.PreviousVersionID || !bytes.Equal(got.PreviousValue, want.PreviousValue) ||
		!got.PreviousCreatedDate.Equal(want.PreviousCreatedDate) || !got.DeletedDate.Equal(want.DeletedDate) ||
		!got.DeletionDate.Equal(want.DeletionDate) || got.Version != want.Version {
		t.Fatalf("secret:\n got %+v\nwant %+v", got, want)
	}
}

func testSecrets(t *testing.T, st Store) {
	ctx := context.Background()
	s := sampleSecret("db/main")
	if err := st.CreateSecret(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 {
		t.Fatalf("Version after create = %d", s.Version)
	}
	for _, id := range []string{s.Name, s.ARN} {
		got, err := st.GetSecret(ctx, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		equalSecret(t, got, s)
	}
	for _, id := range []string{"db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/main", ""} {
		if _, err := st.GetSecret(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get %q: got %v, want ErrNotFound", id, err)
		}
	}
	dupName := sampleSecret("db/main")
	dupName.ARN += "x"
	if err := st.CreateSecret(ctx, dupName); !errors.Is(err, ErrExists) {
		t.Fatalf("create a taken name: got %v, want ErrExists", err)
	}
	dupARN := sampleSecret("other")
	dupARN.ARN = s.ARN
	if err := st.CreateSecret(ctx, dupARN); !errors.Is(err, ErrExists) {
		t.Fatalf("create a taken ARN: got %v, want ErrExists", err)
	}

	// A secret without a value.
	empty := &Secret{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-000000", Name: "a"}
	if err := st.CreateSecret(ctx, empty); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetSecret(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	equalSecret(t, got, empty)

	got.Value, got.VersionID, got.DeletedDate, got.DeletionDate = []byte("new"), "v3", ts, ts.Add(7*24*time.Hour)
	if err := st.UpdateSecret(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := st.GetSecret(ctx, got.ARN)
	equalSecret(t, again, got)
	stale := *empty
	if err := st.UpdateSecret(ctx, &stale); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale update: got %v, want ErrConflict", err)
	}
	if err := st.UpdateSecret(ctx, sampleSecret("nope")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update unknown: got %v, want ErrNotFound", err)
	}

	list, err := st.ListSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "a" || list[1].Name != "db/main" {
		t.Fatalf("list: %+v", list)
	}
	equalSecret(t, list[1], s)

	if err := st.DeleteSecret(ctx, s.ARN); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSecret(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{s.Name, "a"} {
		if err := st.DeleteSecret(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete twice: got %v, want ErrNotFound", err)
		}
	}
	// The name is free again, with a new ARN.
	s2 := sampleSecret("db/main")
	s2.ARN = s2.ARN[:len(s2.ARN)-6] + "XyZ789"
	if err := st.CreateSecret(ctx, s2); err != nil {
		t.Fatalf("re-create after delete: %v", err)
	}
	if list, _ := st.ListSecrets(ctx); len(list) != 1 {
		t.Fatalf("list after delete: %d secrets", len(list))
	}
}

func testFunctions(t *testing.T, st Store) {
	ctx := context.Background()
	code := bytes.Repeat([]byte{0, 'P', 'K', 0xfe}, 256<<10) // 1 MiB with NULs and high bytes
	f := &function.Stored{Name: "orders", Config: []byte(`{"Runtime":"provided.al2023"}`), Code: code,
		CodeSHA256: "abc=", CodeSize: int64(len(code)), LastModified: ts}
	if err := st.PutFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	check := func(got, want *function.Stored, withCode bool) {
		t.Helper()
		if got.Name != want.Name || !bytes.Equal(got.Config, want.Config) || got.CodeSHA256 != want.CodeSHA256 ||
			got.CodeSize != want.CodeSize || !got.LastModified.Equal(want.LastModified) {
			t.Fatalf("function:\n got %+v\nwant %+v", got, want)
		}
		if withCode && !bytes.Equal(got.Code, want.Code) {
			t.Fatalf("function %s: code of %d bytes, want %d", got.Name, len(got.Code), len(want.Code))
		}
		if !withCode && got.Code != nil {
			t.Fatalf("ListFunctions returned code")
		}
	}
	got, err := st.GetFunction(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	check(got, f, true)

	f2 := &function.Stored{Name: "orders", Config: []byte(`{}`), Code: []byte("zip2"), CodeSHA256: "def=", CodeSize: 4,
		LastModified: ts.Add(time.Hour)}
	if err := st.PutFunction(ctx, f2); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetFunction(ctx, "orders")
	check(got, f2, true)
	a := &function.Stored{Name: "a", Code: []byte("z"), CodeSize: 1}
	if err := st.PutFunction(ctx, a); err != nil {
		t.Fatal(err)
	}
	list, err := st.ListFunctions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("list: %d functions", len(list))
	}
	check(list[0], a, false)
	check(list[1], f2, false)

	if _, err := st.GetFunction(ctx, "nope"); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("get unknown: got %v, want ErrNotFound", err)
	}
	if err := st.DeleteFunction(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteFunction(ctx, "orders"); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("delete twice: got %v, want ErrNotFound", err)
	}
	if err := st.PutFunction(ctx, &function.Stored{}); err == nil {
		t.Fatal("function without a name accepted")
	}
}

// testReopen writes through first, closes it and checks that reopen sees it all.
func testReopen(t *testing.T, first Store, reopen func() (Store, error)) {
	ctx := context.Background()
	m := sampleMapping("r1", "fn", "arn")
	s := sampleSecret("keep")
	f := &function.Stored{Name: "fn", Config: []byte(`{}`), Code: []byte("zip"), CodeSHA256: "x", CodeSize: 3, LastModified: ts}
	if err := first.CreateMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.State = "Enabled"
	if err := first.UpdateMapping(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := first.CreateSecret(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := first.PutFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	st, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gm, err := st.GetMapping(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	equalMapping(t, gm, m)
	gs, err := st.GetSecret(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	equalSecret(t, gs, s)
	gf, err := st.GetFunction(ctx, "fn")
	if err != nil || !bytes.Equal(gf.Code, f.Code) {
		t.Fatalf("function after reopen: %+v, %v", gf, err)
	}
}

// v1Rows are rows in the shape of schema version 1, inserted by hand.
var v1Rows = []string{
	`INSERT INTO mappings (uuid, function_name, event_source_arn, config, state, last_modified, version)
		VALUES ('m1', 'fn', 'arn', '{"BatchSize":5}', 'Enabled', 1000, 3)`,
	`INSERT INTO secrets (arn, name, description, version_id, value, created_date, last_changed_date, tags)
		VALUES ('arn:aws:secretsmanager:r:1:secret:old-abcdef', 'old', 'from v1', 'vid', 'cipher', 100, 200, '[]')`,
	`INSERT INTO functions (name, config, code, code_sha256, code_size, last_modified)
		VALUES ('fn', '{}', 'zip', 'h', 3, 5)`,
	`INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)`,
}

// testUpgradeFromV1 opens a store whose schema is version 1 and checks that it was
// upgraded and its data kept.
func testUpgradeFromV1(t *testing.T, st Store) {
	ctx := context.Background()
	m, err := st.GetMapping(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 3 || m.State != "Enabled" || m.BatchSize != 5 || m.FunctionName != "fn" || m.LastModified.UnixNano() != 1000 {
		t.Fatalf("mapping after upgrade: %+v", m)
	}
	s, err := st.GetSecret(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.VersionID != "vid" || string(s.Value) != "cipher" || s.VersionCreatedDate.UnixNano() != 200 ||
		s.PreviousVersionID != "" || !s.DeletedDate.IsZero() {
		t.Fatalf("secret after upgrade: %+v", s)
	}
	s.PreviousVersionID, s.PreviousValue = "vid", s.Value
	if err := st.UpdateSecret(ctx, s); err != nil {
		t.Fatalf("update an upgraded secret: %v", err)
	}
	if ms, err := st.ListMappings(ctx, esm.ListFilter{FunctionName: "fn"}); err != nil || len(ms) != 1 {
		t.Fatalf("list after upgrade: %v, %v", ms, err)
	}
	if f, err := st.GetFunction(ctx, "fn"); err != nil || string(f.Code) != "zip" {
		t.Fatalf("function after upgrade: %+v, %v", f, err)
	}
}

// v2Mappings are mappings as a schema version 2 store held them, and how each must
// read back after the upgrade to a column per member.
func v2Mappings(t *testing.T) (rows []string, want []*esm.Mapping) {
	full := fullMapping("00000000-0000-0000-0000-000000000001")
	full.Version, full.State = 4, "Enabled"
	plain := sampleMapping("00000000-0000-0000-0000-000000000002", "plain", "arn:aws:mq:us-east-1:123456789012:broker:b:b-2")
	plain.Version, plain.Enabled, plain.State = 2, false, "Disabled"
	for _, m := range []*esm.Mapping{full, plain} {
		// The config column as the API of schema version 2 wrote it: the whole
		// request in Lambda's names, UUID, function and tags included.
		cfg, err := json.Marshal(struct {
			UUID string
			esm.Config
			Tags map[string]string `json:",omitempty"`
		}{m.UUID, m.Config, m.Tags})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, fmt.Sprintf(`INSERT INTO mappings (uuid, function_name, event_source_arn, config, state,
			state_transition_reason, last_processing_result, last_modified, version)
			VALUES ('%s', '%s', '%s', '%s', '%s', '%s', '%s', %d, %d)`, m.UUID, m.FunctionName, m.EventSourceArn,
			cfg, m.State, m.StateTransitionReason, m.LastProcessingResult, m.LastModified.UnixNano(), m.Version))
		want = append(want, m)
	}
	// One written by hand, as the old code's JSON tags shaped it (omitempty members
	// absent), with no tags.
	rows = append(rows, `INSERT INTO mappings (uuid, function_name, event_source_arn, config, state,
		state_transition_reason, last_processing_result, last_modified, version)
		VALUES ('00000000-0000-0000-0000-000000000003', 'orders', 'arn:aws:mq:us-east-1:123456789012:broker:b:b-1',
		'{"UUID":"00000000-0000-0000-0000-000000000003","EventSourceArn":"arn:aws:mq:us-east-1:123456789012:broker:b:b-1","FunctionName":"orders","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:orders","Queues":["orders"],"BatchSize":100,"Enabled":true,"SourceAccessConfigurations":[{"Type":"BASIC_AUTH","URI":"arn:s"}],"ScalingConfig":{"MaximumConcurrency":1}}',
		'Creating', 'USER_INITIATED', 'No records processed', 5, 1)`)
	want = append(want, &esm.Mapping{UUID: "00000000-0000-0000-0000-000000000003",
		Config: esm.Config{EventSourceArn: "arn:aws:mq:us-east-1:123456789012:broker:b:b-1", FunctionName: "orders",
			FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:orders", Queues: []string{"orders"}, BatchSize: 100,
			Enabled: true, SourceAccessConfigurations: []esm.SourceAccessConfiguration{{Type: "BASIC_AUTH", URI: "arn:s"}},
			ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 1}},
		State: "Creating", StateTransitionReason: "USER_INITIATED", LastProcessingResult: "No records processed",
		LastModified: time.Unix(0, 5).UTC(), Version: 1})
	return rows, want
}

// v2Schema is the statements that build a schema version 2 store, in a dialect.
func v2Schema(postgres bool) []string {
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`}
	for _, m := range migrations[:2] {
		if postgres {
			stmts = append(stmts, m.postgres...)
		} else {
			stmts = append(stmts, m.sqlite...)
		}
	}
	return append(stmts, `INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0)`)
}

// testUpgradeFromV2 checks that every mapping of a schema version 2 store reads back
// equal after Open upgraded it, and that the upgraded table works.
func testUpgradeFromV2(t *testing.T, st Store, want []*esm.Mapping) {
	ctx := context.Background()
	for _, w := range want {
		got, err := st.GetMapping(ctx, w.UUID)
		if err != nil {
			t.Fatal(err)
		}
		equalMapping(t, got, w)
	}
	all, err := st.ListMappings(ctx, esm.ListFilter{})
	if err != nil || len(all) != len(want) {
		t.Fatalf("list after upgrade: %d mappings, %v", len(all), err)
	}
	if ms, err := st.ListMappings(ctx, esm.ListFilter{FunctionName: "orders"}); err != nil || len(ms) != 1 {
		t.Fatalf("list by function after upgrade: %v, %v", ms, err)
	}
	m := all[0]
	m.State = "Updating"
	if err := st.UpdateMapping(ctx, m); err != nil {
		t.Fatalf("update an upgraded mapping: %v", err)
	}
	var v int
	if err := sqlOf(st).c.queryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != schemaVersion() {
		t.Fatalf("schema version after upgrade: %d, %v", v, err)
	}
}

// v3Schema is the statements that build a schema version 3 store, in a dialect (the
// v3 data conversion has nothing to convert in an empty store).
func v3Schema(postgres bool) []string {
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`}
	for _, m := range migrations[:3] {
		if postgres {
			stmts = append(stmts, m.postgres...)
		} else {
			stmts = append(stmts, m.sqlite...)
		}
		stmts = append(stmts, m.then...)
	}
	return append(stmts, `INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0), (3, 0)`)
}

// v3Secret is a secret row as a schema version 3 store held it.
const v3Secret = `INSERT INTO secrets (arn, name, description, version_id, value, created_date, last_changed_date, tags,
	version_created_date, version) VALUES ('arn:aws:secretsmanager:us-east-1:123456789012:secret:old-AbCdEf', 'old',
	'kept', 'v1', 'sealed', 5, 6, '[{"Key":"k","Value":"v"}]', 7, 3)`

// testUpgradeFromV3 checks that a secret of a schema version 3 store reads back
// unchanged after Open upgraded it, with no KMS key or policy, and that both new
// columns are written and read.
func testUpgradeFromV3(t *testing.T, st Store) {
	ctx := context.Background()
	s, err := st.GetSecret(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if s.Description != "kept" || s.VersionID != "v1" || string(s.Value) != "sealed" || string(s.Tags) != `[{"Key":"k","Value":"v"}]` ||
		s.Version != 3 || s.KmsKeyID != "" || s.ResourcePolicy != "" || !s.VersionCreatedDate.Equal(time.Unix(0, 7)) {
		t.Fatalf("upgraded secret: %+v", s)
	}
	s.KmsKeyID, s.ResourcePolicy = "alias/app", `{"Version":"2012-10-17","Statement":[]}`
	if err := st.UpdateSecret(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetSecret(ctx, s.ARN)
	if err != nil || got.KmsKeyID != "alias/app" || got.ResourcePolicy != s.ResourcePolicy || got.Version != 4 {
		t.Fatalf("after update: %+v, %v", got, err)
	}
	var v int
	if err := sqlOf(st).c.queryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != schemaVersion() {
		t.Fatalf("schema version after upgrade: %d, %v", v, err)
	}
}
