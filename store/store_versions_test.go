package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/mqtrigger/mqtrigger/function"
)

// testFunctionVersions: published versions, aliases and policies, and that deleting
// a function takes them all.
func testFunctionVersions(t *testing.T, st Store) {
	ctx := context.Background()
	if err := st.PutFunction(ctx, &function.Stored{Name: "orders", Config: []byte(`{}`), Code: []byte("zip"), LastModified: ts}); err != nil {
		t.Fatal(err)
	}
	code := bytes.Repeat([]byte{0, 0xff}, 1000)
	for v := 1; v <= 2; v++ {
		if err := st.PutVersion(ctx, &function.Stored{Name: "orders", Version: v, Config: []byte(`{"version":1}`), Code: code,
			CodeSHA256: "abc=", CodeSize: int64(len(code)), LastModified: ts}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutVersion(ctx, &function.Stored{Name: "orders", Version: 2, Config: []byte(`{}`)}); !errors.Is(err, function.ErrVersionExists) {
		t.Fatalf("PutVersion of a taken number: %v, want ErrVersionExists", err)
	}
	got, err := st.GetVersion(ctx, "orders", 2)
	if err != nil || got.Version != 2 || !bytes.Equal(got.Code, code) || got.CodeSize != int64(len(code)) || !got.LastModified.Equal(ts) {
		t.Fatalf("GetVersion: %v %+v", err, got)
	}
	vs, err := st.ListVersions(ctx, "orders")
	if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || vs[0].Code != nil {
		t.Fatalf("ListVersions: %v %+v", err, vs)
	}
	if _, err := st.GetVersion(ctx, "orders", 3); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("GetVersion 3: %v", err)
	}

	for _, name := range []string{"live", "canary"} {
		if err := st.PutAlias(ctx, &function.StoredAlias{Function: "orders", Name: name, Config: []byte(`{"functionVersion":"1"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutAlias(ctx, &function.StoredAlias{Function: "orders", Name: "live", Config: []byte(`{"functionVersion":"2"}`)}); err != nil {
		t.Fatal(err)
	}
	a, err := st.GetAlias(ctx, "orders", "live")
	if err != nil || string(a.Config) != `{"functionVersion":"2"}` {
		t.Fatalf("GetAlias: %v %+v", err, a)
	}
	as, err := st.ListAliases(ctx, "orders")
	if err != nil || len(as) != 2 || as[0].Name != "canary" || as[1].Name != "live" {
		t.Fatalf("ListAliases: %v %+v", err, as)
	}

	for _, q := range []string{"", "live", "1"} {
		if err := st.PutPolicy(ctx, "orders", q, []byte(`{"Statement":["`+q+`"]}`)); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := st.GetPolicy(ctx, "orders", "live"); err != nil || string(p) != `{"Statement":["live"]}` {
		t.Fatalf("GetPolicy: %v %s", err, p)
	}
	if err := st.PutPolicy(ctx, "orders", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetPolicy(ctx, "orders", ""); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("GetPolicy after an empty PutPolicy: %v", err)
	}

	// Deleting a version or an alias takes its policy.
	if err := st.DeleteVersion(ctx, "orders", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetPolicy(ctx, "orders", "1"); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("policy of a deleted version: %v", err)
	}
	if err := st.DeleteVersion(ctx, "orders", 1); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("DeleteVersion twice: %v", err)
	}
	if err := st.DeleteAlias(ctx, "orders", "canary"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteAlias(ctx, "orders", "canary"); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("DeleteAlias twice: %v", err)
	}

	if err := st.DeleteFunction(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	if vs, err := st.ListVersions(ctx, "orders"); err != nil || len(vs) != 0 {
		t.Fatalf("versions after DeleteFunction: %v %d", err, len(vs))
	}
	if as, err := st.ListAliases(ctx, "orders"); err != nil || len(as) != 0 {
		t.Fatalf("aliases after DeleteFunction: %v %d", err, len(as))
	}
	if _, err := st.GetPolicy(ctx, "orders", "live"); !errors.Is(err, function.ErrNotStored) {
		t.Fatalf("policy after DeleteFunction: %v", err)
	}
}
