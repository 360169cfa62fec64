package lambdazip

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

func TestBuildKeepsModesAndSizes(t *testing.T) {
	z, err := Build(Entry{Name: "bootstrap", Mode: 0o755, Body: []byte("#!/bin/sh\n")}, Entry{Name: "big", Mode: 0o644, Size: 3<<20 + 5})
	if err != nil {
		t.Fatal(err)
	}
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) != 2 {
		t.Fatalf("%d members", len(r.File))
	}
	if m := r.File[0].Mode(); m.Perm() != 0o755 || !m.IsRegular() {
		t.Fatalf("bootstrap mode %v", m)
	}
	rc, _ := r.File[1].Open()
	n, _ := io.Copy(io.Discard, rc)
	if n != 3<<20+5 || len(z) > 64<<10 {
		t.Fatalf("big inflates to %d bytes from a %d-byte zip", n, len(z))
	}
}
