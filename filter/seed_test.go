package filter

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWriteSeedCorpus rewrites testdata/fuzz from the test vectors when
// FILTER_WRITE_CORPUS=1; otherwise it checks that the corpus is there.
func TestWriteSeedCorpus(t *testing.T) {
	type seed struct {
		pattern string
		body    []byte
	}
	var seeds []seed
	for _, v := range genericVectors {
		seeds = append(seeds, seed{`{"data":` + v.pattern + `}`, []byte(v.event)})
	}
	for _, v := range mqVectors {
		body := []byte(v.body)
		if v.b64 != "" {
			body, _ = base64.StdEncoding.DecodeString(v.b64)
		}
		seeds = append(seeds, seed{v.patterns[0], body})
	}
	for _, v := range invalidPatterns {
		seeds = append(seeds, seed{v.pattern, []byte(`{"a":1}`)})
	}
	if os.Getenv("FILTER_WRITE_CORPUS") != "1" {
		for _, name := range []string{"FuzzCompile", "FuzzMatch"} {
			entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", name))
			if err != nil || len(entries) < len(seeds)/2 {
				t.Errorf("seed corpus testdata/fuzz/%s is missing (%v); run FILTER_WRITE_CORPUS=1 go test -run TestWriteSeedCorpus", name, err)
			}
		}
		return
	}
	for _, s := range seeds {
		write(t, "FuzzCompile", "go test fuzz v1\nstring("+strconv.Quote(s.pattern)+")\n")
		write(t, "FuzzMatch", "go test fuzz v1\nstring("+strconv.Quote(s.pattern)+")\n[]byte("+strconv.Quote(string(s.body))+")\n")
	}
}

func write(t *testing.T, target, content string) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("seed-%x", sha256.Sum256([]byte(content)))[:21]
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
