package secrets

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
)

// Two nodes on one PostgreSQL store tag, describe and update one secret at once:
// every tag and the last description land, none lost to the other node's write.
func TestSharedPostgresTagsAndUpdate(t *testing.T) {
	ctx := context.Background()
	nodes := sharedNodes(t, 2)
	c, err := nodes[0].Create(ctx, CreateInput{Name: "tagged", SecretString: "v0", KmsKeyID: "alias/k"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- nodes[i%2].TagResource(ctx, c.ARN, []Tag{{Key: fmt.Sprintf("k%d", i), Value: "v"}})
		}()
		go func() {
			defer wg.Done()
			d := fmt.Sprintf("d%d", i)
			_, err := nodes[(i+1)%2].Update(ctx, UpdateInput{SecretID: c.ARN, Description: &d})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	e, err := nodes[1].Describe(ctx, "tagged")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tg := range e.Tags {
		keys = append(keys, tg.Key)
	}
	sort.Strings(keys)
	if len(keys) != n || e.KmsKeyID != "alias/k" || len(e.Description) != 2 || e.Description[0] != 'd' {
		t.Fatalf("after concurrent writes: tags %v, kms %q, description %q", keys, e.KmsKeyID, e.Description)
	}
	// The value was not touched by the metadata writes.
	if v, err := nodes[0].GetValue(ctx, "tagged", "", ""); err != nil || v.SecretString != "v0" || v.VersionID != c.VersionID {
		t.Fatalf("value after metadata writes: %+v %v", v, err)
	}
}

func TestUpdateAndPolicy(t *testing.T) {
	m, _ := newManager(t, "")
	ctx := context.Background()
	c, err := m.Create(ctx, CreateInput{Name: "u", Description: "first"})
	if err != nil {
		t.Fatal(err)
	}
	// A secret created without a value gets its first version from UpdateSecret.
	out, err := m.Update(ctx, UpdateInput{SecretID: "u", SecretString: "one"})
	if err != nil || out.VersionID == "" {
		t.Fatalf("Update with a value: %+v %v", out, err)
	}
	e, err := m.Describe(ctx, c.ARN)
	if err != nil || e.Description != "first" || len(e.VersionsToStages) != 1 || e.VersionsToStages[out.VersionID][0] != StageCurrent {
		t.Fatalf("after update: %+v %v", e, err)
	}
	_, err = m.Update(ctx, UpdateInput{SecretID: "u", SecretString: "x", SecretBinary: []byte{1}})
	wantCode(t, err, CodeInvalidParameter)
	long := string(make([]byte, maxDescriptionLen+1))
	_, err = m.Update(ctx, UpdateInput{SecretID: "u", Description: &long})
	wantCode(t, err, CodeValidation)
	for _, bad := range []string{"", "[]", "null", `"s"`, "{"} {
		_, _, err := m.PutResourcePolicy(ctx, "u", bad)
		if bad == "" {
			wantCode(t, err, CodeValidation)
		} else {
			wantCode(t, err, CodeMalformedPolicy)
		}
	}
	if _, _, err := m.DeleteResourcePolicy(ctx, "u"); err != nil {
		t.Fatalf("delete a policy that is not there: %v", err)
	}
	_, _, err = m.PutResourcePolicy(ctx, "nope", "{}")
	wantCode(t, err, CodeResourceNotFound)
	_, err = m.ListVersionIDs(ctx, "u", 0, "bogus")
	wantCode(t, err, CodeInvalidNextToken)
	_, err = m.ListVersionIDs(ctx, "u", 101, "")
	wantCode(t, err, CodeInvalidParameter)
}
