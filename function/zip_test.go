package function

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckZip(t *testing.T) {
	exe := zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n")}
	bigZip := func(method uint16, size int) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		h := &zip.FileHeader{Name: "big", Method: method}
		h.SetMode(0o644)
		w, _ := zw.CreateHeader(h)
		chunk := make([]byte, 1<<20)
		for size > 0 {
			n := min(size, len(chunk))
			w.Write(chunk[:n])
			size -= n
		}
		w2, _ := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", CreatorVersion: 3 << 8, ExternalAttrs: 0o100755 << 16})
		w2.Write([]byte("x"))
		zw.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name string
		zip  []byte
		kind string // "invalid" (*InvalidParameterError) or "too large" (*TooLargeError)
		msg  string
	}{
		{"valid", makeZip(t, exe, zipEntry{"lib/", fs.ModeDir | 0o755, nil}, zipEntry{"lib/a.txt", 0o644, []byte("a")}, zipEntry{"link", fs.ModeSymlink | 0o777, []byte("lib/a.txt")}), "", ""},
		{"not a zip", []byte("this is not a zip"), "invalid", "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"dot dot", makeZip(t, exe, zipEntry{"../evil", 0o644, []byte("x")}), "invalid", `entry "../evil" is outside`},
		{"nested dot dot", makeZip(t, exe, zipEntry{"a/../../evil", 0o644, []byte("x")}), "invalid", "is outside"},
		{"absolute", makeZip(t, exe, zipEntry{"/etc/cron.d/evil", 0o644, []byte("x")}), "invalid", "is outside"},
		{"symlink out", makeZip(t, exe, zipEntry{"lib/link", fs.ModeSymlink | 0o777, []byte("../../etc/passwd")}), "invalid", "outside the function's folder"},
		{"symlink absolute", makeZip(t, exe, zipEntry{"link", fs.ModeSymlink | 0o777, []byte("/etc/passwd")}), "invalid", "outside the function's folder"},
		{"no bootstrap", makeZip(t, zipEntry{"main", 0o755, []byte("x")}), "invalid", "Couldn't find valid bootstrap(s): [bootstrap]"},
		{"bootstrap in a folder", makeZip(t, zipEntry{"bin/bootstrap", 0o755, []byte("x")}), "invalid", "Couldn't find valid bootstrap(s)"},
		{"bootstrap not executable", makeZip(t, zipEntry{"bootstrap", 0o644, []byte("x")}), "invalid", "not executable"},
		{"zipped too large", bigZip(zip.Store, maxZippedSize+1), "too large", "Zipped size must be smaller than 52428800 bytes"},
		{"unzipped too large", bigZip(zip.Deflate, maxUnzippedSize), "invalid", "Unzipped size must be smaller than 262144000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkZip(tt.zip)
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("valid zip refused: %v", err)
				}
				return
			}
			var ip *InvalidParameterError
			var tl *TooLargeError
			kind := ""
			switch {
			case errors.As(err, &ip):
				kind = "invalid"
			case errors.As(err, &tl):
				kind = "too large"
			}
			if kind != tt.kind || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %T %v, want %s containing %q", err, err, tt.kind, tt.msg)
			}
		})
	}
}

// TestUnpackZip unpacks a zip with folders and a contained symbolic link.
func TestUnpackZip(t *testing.T) {
	data := makeZip(t,
		zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n")},
		zipEntry{"lib/a.txt", 0o644, []byte("hello")},
		zipEntry{"a-link", fs.ModeSymlink | 0o777, []byte("lib/a.txt")},
	)
	dir := filepath.Join(t.TempDir(), "code")
	if err := unpackZip(data, dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a-link")); err != nil || string(b) != "hello" {
		t.Fatalf("reading through the link: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Fatalf("bootstrap: %v %v", fi, err)
	}
	// An entry that would be written through an earlier link replaces the link.
	data = makeZip(t,
		zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n")},
		zipEntry{"same", fs.ModeSymlink | 0o777, []byte("bootstrap")},
		zipEntry{"same", 0o644, []byte("replaced")},
	)
	dir2 := filepath.Join(t.TempDir(), "code")
	if err := unpackZip(data, dir2); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir2, "bootstrap")); string(b) != "#!/bin/sh\n" {
		t.Fatalf("a later entry wrote through a link into bootstrap: %q", b)
	}
}

// TestCreateErrors: what Create and the updates refuse, as typed errors with
// Lambda's texts.
func TestCreateErrors(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{{Name: "configured", URL: "http://127.0.0.1:1/"}}})
	good := makeZip(t, zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n")})
	ctx := context.Background()
	create := func(mod func(*CreateInput)) error {
		in := CreateInput{Name: "fn", Runtime: "provided.al2", Role: ptr(testRole), Handler: "bootstrap", Code: &Code{ZipFile: good}}
		mod(&in)
		_, err := te.reg.Create(ctx, in)
		return err
	}
	var (
		ve *ValidationError
		ip *InvalidParameterError
	)
	tests := []struct {
		name   string
		mod    func(*CreateInput)
		target any
		msg    string
	}{
		{"runtime", func(in *CreateInput) { in.Runtime = "python3.12" },
			&ip, "Value python3.12 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [provided.al2023, provided.al2]"},
		{"not a zip", func(in *CreateInput) { in.Code.ZipFile = []byte("nope") }, &ip, "Could not unzip uploaded file"},
		{"no code", func(in *CreateInput) { in.Code = &Code{S3Bucket: "b"} }, &ip, "Code from S3 or a container image is not supported"},
		{"package type", func(in *CreateInput) { in.PackageType = "Image" }, &ip, "PackageType Image is not supported"},
		{"no role", func(in *CreateInput) { in.Role = nil }, &ve, "Value 'null' at 'role' failed to satisfy constraint: Member must not be null"},
		{"timeout", func(in *CreateInput) { in.Timeout = ptr(901) },
			&ve, "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"memory", func(in *CreateInput) { in.MemorySize = ptr(64) }, &ve, "Member must have value greater than or equal to 128"},
		{"role", func(in *CreateInput) { in.Role = ptr("r1") }, &ve, "Value 'r1' at 'role'"},
		{"environment", func(in *CreateInput) { in.Environment = &Environment{Variables: map[string]string{"1x": "y"}} }, &ve, "at 'environment.variables'"},
		{"architectures", func(in *CreateInput) { in.Architectures = []string{"riscv"} }, &ve, "at 'architectures'"},
		{"name", func(in *CreateInput) { in.Name = "bad name!" }, &ve, "at 'functionName'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := create(tt.mod)
			if !errors.As(err, tt.target) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %T %v, want %T containing %q", err, err, tt.target, tt.msg)
			}
		})
	}
	if err := create(func(in *CreateInput) { in.Name = "configured" }); !errors.Is(err, ErrFunctionExists) {
		t.Fatalf("create of a configured name: %v", err)
	}
	if err := create(func(*CreateInput) {}); err != nil {
		t.Fatal(err)
	}
	if err := create(func(*CreateInput) {}); !errors.Is(err, ErrFunctionExists) {
		t.Fatalf("second create: %v", err)
	}
	// Get, list and update.
	got, err := te.reg.Get(ctx, "arn:aws:lambda:us-east-1:123456789012:function:fn")
	if err != nil || got.Handler != "bootstrap" || got.RevisionID == "" {
		t.Fatalf("Get: %v %+v", err, got)
	}
	if _, err := te.reg.Get(ctx, "arn:aws:lambda:eu-west-1:123456789012:function:fn"); !errors.Is(err, ErrFunctionNotFound) || !strings.Contains(err.Error(), "not reachable in this region") {
		t.Fatalf("Get in another region: %v", err)
	}
	var nf *NotFoundError
	if _, err := te.reg.Get(ctx, "fn:7"); !errors.As(err, &nf) || nf.Qualifier != "7" {
		t.Fatalf("Get of a version: %v", err)
	}
	list, err := te.reg.List(ctx, ListInput{MaxItems: 1})
	if err != nil || len(list.Functions) != 1 || list.Functions[0].Name != "configured" || list.NextMarker == "" {
		t.Fatalf("List page 1: %v %+v", err, list)
	}
	list, err = te.reg.List(ctx, ListInput{Marker: list.NextMarker})
	if err != nil || len(list.Functions) != 1 || list.Functions[0].Name != "fn" || list.NextMarker != "" {
		t.Fatalf("List page 2: %v %+v", err, list)
	}
	newZip := makeZip(t, zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n# v2\n")})
	upd, err := te.reg.UpdateCode(ctx, UpdateCodeInput{FunctionName: "fn", ZipFile: newZip})
	if err != nil || upd.CodeSize != int64(len(newZip)) || upd.RevisionID == got.RevisionID {
		t.Fatalf("UpdateCode: %v %+v", err, upd)
	}
	if _, err := te.reg.UpdateCode(ctx, UpdateCodeInput{FunctionName: "fn"}); !errors.As(err, &ip) {
		t.Fatalf("UpdateCode without code: %v", err)
	}
	if _, err := te.reg.UpdateConfiguration(ctx, UpdateConfigurationInput{FunctionName: "fn", RevisionID: "stale"}); !errors.Is(err, ErrRevisionMismatch) {
		t.Fatalf("update with a stale RevisionId: %v", err)
	}
	if _, err := te.reg.UpdateConfiguration(ctx, UpdateConfigurationInput{FunctionName: "configured", Settings: Settings{Timeout: ptr(5)}}); !errors.Is(err, ErrConfiguredFunction) {
		t.Fatalf("update of a configured function: %v", err)
	}
}

// FuzzCheckZip: no zip makes checkZip or unpackZip panic, and a zip that passes
// the check unpacks with nothing written outside its folder.
func FuzzCheckZip(f *testing.F) {
	f.Add(makeZip(f, zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n")}, zipEntry{"l", fs.ModeSymlink | 0o777, []byte("bootstrap")}))
	f.Add(makeZip(f, zipEntry{"bootstrap", 0o755, nil}, zipEntry{"../x", 0o644, []byte("x")}))
	f.Add(makeZip(f, zipEntry{"bootstrap", 0o755, nil}, zipEntry{"d/l", fs.ModeSymlink | 0o777, []byte("../..")}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, e := checkZip(data); e != nil {
			return
		}
		parent := t.TempDir()
		if err := unpackZip(data, filepath.Join(parent, "code")); err != nil {
			return
		}
		entries, err := os.ReadDir(parent)
		if err != nil || len(entries) != 1 || entries[0].Name() != "code" {
			t.Fatalf("unpacking wrote outside its folder: %v %v", entries, err)
		}
	})
}
