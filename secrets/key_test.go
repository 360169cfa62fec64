package secrets

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKeyCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	key, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != KeySize {
		t.Fatalf("key of %d bytes", len(key))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	again, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, key) {
		t.Fatal("second LoadKey returned another key")
	}
	other, err := LoadKey(filepath.Join(t.TempDir(), "k"))
	if err != nil || bytes.Equal(other, key) {
		t.Fatalf("two new key files hold the same key (%v)", err)
	}
}

func TestLoadKeyRefusesReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	if _, err := LoadKey(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKey(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %04o: got %v, want a refusal that says chmod 600", mode, err)
		}
	}
}

func TestLoadKeyContents(t *testing.T) {
	dir := t.TempDir()
	raw := bytes.Repeat([]byte{7}, KeySize)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, data := range map[string][]byte{
		"raw":    raw,
		"base64": []byte(base64.StdEncoding.EncodeToString(raw) + "\n"),
	} {
		key, err := LoadKey(write(name, data))
		if err != nil || !bytes.Equal(key, raw) {
			t.Fatalf("%s: %x, %v", name, key, err)
		}
	}
	for name, data := range map[string][]byte{
		"empty": nil,
		"short": []byte(base64.StdEncoding.EncodeToString(raw[:16])),
		"junk":  []byte("not a key at all, not at all"),
	} {
		if _, err := LoadKey(write(name, data)); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
	if _, err := LoadKey(dir); err == nil {
		t.Fatal("a directory accepted as key file")
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{1}, KeySize)
	if key, err := ParseKey(base64.StdEncoding.EncodeToString(raw)); err != nil || !bytes.Equal(key, raw) {
		t.Fatalf("%x, %v", key, err)
	}
	for _, s := range []string{"", "!!!", base64.StdEncoding.EncodeToString(raw[:31])} {
		if _, err := ParseKey(s); err == nil {
			t.Fatalf("%q accepted", s)
		}
	}
}
