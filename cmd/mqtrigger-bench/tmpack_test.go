package main

import (
	"context"
	"os"
	"testing"

	"github.com/mqtrigger/mqtrigger/internal/jms"
)

func TestTmpAckModes(t *testing.T) {
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
	for i, tx := range []bool{true, false, true, false} {
		q := "q" + string(rune('a'+i))
		if err := j.Fill(ctx, q, 50000, 1024, true); err != nil {
			t.Fatal(err)
		}
		res, err := j.tool.Bench(ctx, jms.BenchOptions{URL: b.URL, User: b.User, Password: b.Password, Queue: q, Count: 50000, Prefetch: 1000, Transacted: tx, AckEvery: 100})
		t.Logf("transacted %v: %+v err %v", tx, res, err)
	}
}
