package main

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestTmpReference(t *testing.T) {
	if os.Getenv("TMPREF") == "" {
		t.Skip()
	}
	repo, _ := findRepo()
	ctx := context.Background()
	b, err := startBroker(ctx, repo, t.TempDir(), "1G")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop(false)
	j, _ := newJava(b)
	for _, c := range []struct{ n, size int; p bool }{{100000, 1024, true}, {100000, 1024, false}, {10000, 65536, true}, {10000, 65536, false}} {
		t0 := time.Now()
		q := "q" + time.Now().Format("150405.000")
		if err := j.Fill(ctx, q, c.n, c.size, c.p); err != nil {
			t.Fatal(err)
		}
		fill := time.Since(t0)
		res, err := j.Reference(ctx, q, c.n)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v fill %s ref %+v total %s", c, fill, res, time.Since(t0))
	}
}
