package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/mqtrigger/mqtrigger/internal/pgtest"
)

func benchmarkStore(b *testing.B, st Store) {
	ctx := context.Background()
	b.Run("CreateMapping", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := st.CreateMapping(ctx, sampleMapping(fmt.Sprintf("bench-%09d", i), "fn", "arn")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetMapping", func(b *testing.B) {
		if err := st.CreateMapping(ctx, sampleMapping("get", "fn", "arn")); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := st.GetMapping(ctx, "get"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSQLite(b *testing.B) {
	st, err := Open(context.Background(), "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchmarkStore(b, st)
}

func BenchmarkPostgres(b *testing.B) {
	url := pgtest.Schema(b)
	st, err := Open(context.Background(), url, "")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchmarkStore(b, st)
}
