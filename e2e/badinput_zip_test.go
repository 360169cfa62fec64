package e2e

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/mqtrigger/mqtrigger/internal/lambdazip"
)

// zipEntry is one member of a test zip.
type zipEntry struct {
	name string
	mode fs.FileMode
	body []byte
	size int64 // > 0: that many zero bytes instead of body, deflated
}

func buildZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	members := make([]lambdazip.Entry, len(entries))
	for i, e := range entries {
		members[i] = lambdazip.Entry{Name: e.name, Mode: e.mode, Body: e.body, Size: e.size}
	}
	z, err := lambdazip.Build(members...)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// lyingBomb is a zip whose big.bin declares 1 KiB but inflates to size bytes.
func lyingBomb(t *testing.T, size int64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for n := size; n > 0; n -= int64(len(zeros)) {
		b := zeros[:min(n, int64(len(zeros)))]
		fw.Write(b)
		crc.Write(b)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	bh := &zip.FileHeader{Name: "bootstrap", Method: zip.Store}
	bh.SetMode(0o755)
	w, _ := zw.CreateHeader(bh)
	w.Write([]byte("#!/bin/sh\nexit 0\n"))
	h := &zip.FileHeader{Name: "big.bin", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 1024}
	h.SetMode(0o644)
	rw, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(comp.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var bootstrapOK = zipEntry{name: "bootstrap", mode: 0o755, body: []byte("#!/bin/sh\nexit 0\n")}

func createFunction(t *testing.T, c *lambda.Client, name string, code []byte) error {
	_, err := c.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String("arn:aws:iam::123456789012:role/lambda"),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{ZipFile: code},
	})
	return err
}

// Bad deployment packages are refused with InvalidParameterValueException (or Lambda's
// own error for the case) and nothing is written outside the function's folder.
func TestBadInputZips(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	os.Mkdir(dataDir, 0o755)
	svc := apiServiceIn(t, dataDir)
	lc := svc.Lambda()
	for _, tc := range []struct {
		name string
		zip  []byte
		code string
		msg  string
	}{
		{"dot-dot", buildZip(t, bootstrapOK, zipEntry{name: "../evil", mode: 0o644, body: []byte("x")}), "InvalidParameterValueException", "outside the function's folder"},
		{"deep dot-dot", buildZip(t, bootstrapOK, zipEntry{name: "a/b/../../../evil", mode: 0o644, body: []byte("x")}), "InvalidParameterValueException", "outside the function's folder"},
		{"absolute", buildZip(t, bootstrapOK, zipEntry{name: "/tmp/evil", mode: 0o644, body: []byte("x")}), "InvalidParameterValueException", "outside the function's folder"},
		{"backslash", buildZip(t, bootstrapOK, zipEntry{name: `..\evil`, mode: 0o644, body: []byte("x")}), "InvalidParameterValueException", "outside the function's folder"},
		{"symlink escape", buildZip(t, bootstrapOK, zipEntry{name: "link", mode: fs.ModeSymlink | 0o777, body: []byte("../../../outside")}), "InvalidParameterValueException", "outside the function's folder"},
		{"symlink absolute", buildZip(t, bootstrapOK, zipEntry{name: "etc", mode: fs.ModeSymlink | 0o777, body: []byte("/etc")}), "InvalidParameterValueException", "outside the function's folder"},
		{"symlink then write through it", buildZip(t, bootstrapOK,
			zipEntry{name: "d", mode: fs.ModeSymlink | 0o777, body: []byte(root)},
			zipEntry{name: "d/evil", mode: 0o644, body: []byte("x")}), "InvalidParameterValueException", "outside the function's folder"},
		{"bootstrap symlink out", buildZip(t, zipEntry{name: "bootstrap", mode: fs.ModeSymlink | 0o777, body: []byte("/bin/sh")}), "InvalidParameterValueException", "outside the function's folder"},
		{"huge", buildZip(t, bootstrapOK, zipEntry{name: "big.bin", mode: 0o644, size: 260 << 20}), "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes"},
		{"many entries over the limit", buildZip(t, append([]zipEntry{bootstrapOK}, manyEntries(26, 10<<20)...)...), "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes"},
		{"no bootstrap", buildZip(t, zipEntry{name: "main", mode: 0o755, body: []byte("x")}), "InvalidParameterValueException", "Couldn't find valid bootstrap(s)"},
		{"bootstrap in a folder", buildZip(t, zipEntry{name: "bin/bootstrap", mode: 0o755, body: []byte("x")}), "InvalidParameterValueException", "Couldn't find valid bootstrap(s)"},
		{"bootstrap a directory", buildZip(t, zipEntry{name: "bootstrap/", mode: fs.ModeDir | 0o755}), "InvalidParameterValueException", "bootstrap"},
		{"not executable", buildZip(t, zipEntry{name: "bootstrap", mode: 0o644, body: []byte("x")}), "InvalidParameterValueException", "not executable"},
		{"not a zip", []byte("this is not a zip file at all"), "InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"truncated zip", buildZip(t, bootstrapOK)[:40], "InvalidParameterValueException", "Could not unzip uploaded file"},
		{"empty zip", buildZip(t), "InvalidParameterValueException", "Couldn't find valid bootstrap(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "bad-" + strings.NewReplacer(" ", "-").Replace(tc.name)
			err := createFunction(t, lc, name, tc.zip)
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("CreateFunction: %v, want %s", err, tc.code)
			}
			if ae.ErrorCode() != tc.code || !strings.Contains(ae.ErrorMessage(), tc.msg) {
				t.Fatalf("got %s %q, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), tc.code, tc.msg)
			}
			if _, err := lc.GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}); err == nil {
				t.Fatal("the refused function exists")
			}
		})
	}
	// a bomb whose header lies about its size: whatever CreateFunction says, unpacking
	// it must stop at the limit (Invoke makes the service unpack it)
	t.Run("lying bomb", func(t *testing.T) {
		err := createFunction(t, lc, "bad-lying-bomb", lyingBomb(t, 300<<20))
		if err == nil {
			_, ierr := lc.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String("bad-lying-bomb"), Payload: []byte("{}")})
			t.Logf("CreateFunction accepted the lying bomb; Invoke: %v", ierr)
			if ierr == nil {
				t.Error("Invoke of a function whose zip cannot be unpacked succeeded")
			}
		} else {
			t.Logf("CreateFunction: %v", err)
		}
		if n := treeSize(t, root); n > 50<<20 {
			t.Fatalf("%d bytes under the service's folders after the bomb", n)
		}
	})
	// nothing landed outside the data dir, and nothing named evil/outside anywhere
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.Contains(d.Name(), "evil") || d.Name() == "outside") {
			t.Errorf("found %s", p)
		}
		return nil
	})
	for _, p := range []string{"/tmp/evil", filepath.Join(os.TempDir(), "evil")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
	// the control: a good zip is accepted
	if err := createFunction(t, lc, "good", buildZip(t, bootstrapOK, zipEntry{name: "lib/x", mode: 0o644, body: []byte("x")})); err != nil {
		t.Fatalf("a good zip was refused: %v", err)
	}
	healthy(t, svc)
}

func manyEntries(n int, size int64) []zipEntry {
	out := make([]zipEntry, n)
	for i := range out {
		out[i] = zipEntry{name: fmt.Sprintf("part%02d.bin", i), mode: 0o644, size: size}
	}
	return out
}

func treeSize(t *testing.T, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
