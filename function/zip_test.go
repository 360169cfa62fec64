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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
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
		name   string
		zip    []byte
		status int
		code   string
		msg    string
	}{
		{"valid", makeZip(t, exe, zipEntry{"lib/", fs.ModeDir | 0o755, nil}, zipEntry{"lib/a.txt", 0o644, []byte("a")}, zipEntry{"link", fs.ModeSymlink | 0o777, []byte("lib/a.txt")}), 0, "", ""},
		{"not a zip", []byte("this is not a zip"), 400, "InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"dot dot", makeZip(t, exe, zipEntry{"../evil", 0o644, []byte("x")}), 400, "InvalidParameterValueException", `entry "../evil" is outside`},
		{"nested dot dot", makeZip(t, exe, zipEntry{"a/../../evil", 0o644, []byte("x")}), 400, "InvalidParameterValueException", "is outside"},
		{"absolute", makeZip(t, exe, zipEntry{"/etc/cron.d/evil", 0o644, []byte("x")}), 400, "InvalidParameterValueException", "is outside"},
		{"symlink out", makeZip(t, exe, zipEntry{"lib/link", fs.ModeSymlink | 0o777, []byte("../../etc/passwd")}), 400, "InvalidParameterValueException", "outside the function's folder"},
		{"symlink absolute", makeZip(t, exe, zipEntry{"link", fs.ModeSymlink | 0o777, []byte("/etc/passwd")}), 400, "InvalidParameterValueException", "outside the function's folder"},
		{"no bootstrap", makeZip(t, zipEntry{"main", 0o755, []byte("x")}), 400, "InvalidParameterValueException", "Couldn't find valid bootstrap(s): [bootstrap]"},
		{"bootstrap in a folder", makeZip(t, zipEntry{"bin/bootstrap", 0o755, []byte("x")}), 400, "InvalidParameterValueException", "Couldn't find valid bootstrap(s)"},
		{"bootstrap not executable", makeZip(t, zipEntry{"bootstrap", 0o644, []byte("x")}), 400, "InvalidParameterValueException", "not executable"},
		{"zipped too large", bigZip(zip.Store, maxZippedSize+1), 413, "RequestEntityTooLargeException", "Zipped size must be smaller than 52428800 bytes"},
		{"unzipped too large", bigZip(zip.Deflate, maxUnzippedSize), 400, "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := checkZip(tt.zip)
			if tt.code == "" {
				if e != nil {
					t.Fatalf("valid zip refused: %v", e)
				}
				return
			}
			if e == nil || e.Status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("got %v, want %d %s containing %q", e, tt.status, tt.code, tt.msg)
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

// TestCreateFunctionErrors: what the API answers for bad input, as the SDK sees it.
func TestCreateFunctionErrors(t *testing.T) {
	te := newTestEnv(t, RegistryOptions{Configured: []Spec{{Name: "configured", URL: "http://127.0.0.1:1/"}}})
	good := makeZip(t, zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n")})
	create := func(mod func(*lambda.CreateFunctionInput)) error {
		in := &lambda.CreateFunctionInput{
			FunctionName: aws.String("fn"), Runtime: types.RuntimeProvidedal2, Role: aws.String(testRole),
			Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: good},
		}
		mod(in)
		_, err := te.client.CreateFunction(context.Background(), in)
		return err
	}
	tests := []struct {
		name string
		mod  func(*lambda.CreateFunctionInput)
		code string
		msg  string
	}{
		{"runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimePython312 },
			"InvalidParameterValueException", "Value python3.12 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [provided.al2023, provided.al2]"},
		{"not a zip", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = []byte("nope") },
			"InvalidParameterValueException", "Could not unzip uploaded file"},
		{"path escape", func(in *lambda.CreateFunctionInput) {
			in.Code.ZipFile = makeZip(t, zipEntry{"bootstrap", 0o755, nil}, zipEntry{"../../x", 0o644, nil})
		}, "InvalidParameterValueException", "outside the function's folder"},
		{"no bootstrap", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = makeZip(t, zipEntry{"handler", 0o755, nil}) },
			"InvalidParameterValueException", "Couldn't find valid bootstrap(s)"},
		{"timeout", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) },
			"ValidationException", "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"memory", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) },
			"ValidationException", "Member must have value greater than or equal to 128"},
		{"role", func(in *lambda.CreateFunctionInput) { in.Role = aws.String("r1") },
			"ValidationException", "Value 'r1' at 'role'"},
		{"name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("bad name!") },
			"ValidationException", "at 'functionName'"},
		{"configured name", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("configured") },
			"ResourceConflictException", "Function already exist: configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := create(tt.mod)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tt.code || !strings.Contains(ae.ErrorMessage(), tt.msg) {
				t.Fatalf("got %v, want %s containing %q", err, tt.code, tt.msg)
			}
		})
	}
	if err := create(func(*lambda.CreateFunctionInput) {}); err != nil {
		t.Fatal(err)
	}
	err := create(func(*lambda.CreateFunctionInput) {})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) || aws.ToString(conflict.Message) != "Function already exist: fn" {
		t.Fatalf("second create: %v", err)
	}
	// Get, list and update code.
	ctx := context.Background()
	got, err := te.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn")})
	if err != nil || aws.ToString(got.Configuration.Handler) != "bootstrap" || got.Configuration.State != types.StateActive {
		t.Fatalf("GetFunction: %v %+v", err, got)
	}
	_, err = te.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:fn")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || !strings.Contains(aws.ToString(nf.Message), "not reachable in this region") {
		t.Fatalf("GetFunction in another region: %v", err)
	}
	list, err := te.client.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	if err != nil || len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "configured" || aws.ToString(list.NextMarker) == "" {
		t.Fatalf("ListFunctions page 1: %v %+v", err, list)
	}
	list, err = te.client.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: list.NextMarker})
	if err != nil || len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "fn" || list.NextMarker != nil {
		t.Fatalf("ListFunctions page 2: %v %+v", err, list)
	}
	newZip := makeZip(t, zipEntry{"bootstrap", 0o755, []byte("#!/bin/sh\n# v2\n")})
	upd, err := te.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: newZip})
	if err != nil || upd.CodeSize != int64(len(newZip)) {
		t.Fatalf("UpdateFunctionCode: %v %+v", err, upd)
	}
	_, err = te.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), RevisionId: aws.String("stale")})
	var pf *types.PreconditionFailedException
	if !errors.As(err, &pf) {
		t.Fatalf("update with a stale RevisionId: %v", err)
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
