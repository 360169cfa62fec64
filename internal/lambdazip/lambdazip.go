// Package lambdazip builds Lambda deployment packages: zips whose members keep their
// Unix modes, so a bootstrap stays executable. Tests and the benchmark use it.
package lambdazip

import (
	"archive/zip"
	"bytes"
	"io/fs"
)

// Entry is one member of a zip.
type Entry struct {
	Name string
	Mode fs.FileMode
	Body []byte
	Size int64 // > 0: that many zero bytes instead of Body (deflated, so the zip stays small)
}

// Build writes entries, deflated, into a zip.
func Build(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var zeros []byte
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate}
		h.SetMode(e.Mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if e.Size > 0 {
			if zeros == nil {
				zeros = make([]byte, 1<<20)
			}
			for n := e.Size; n > 0; n -= int64(len(zeros)) {
				if _, err := w.Write(zeros[:min(n, int64(len(zeros)))]); err != nil {
					return nil, err
				}
			}
			continue
		}
		if _, err := w.Write(e.Body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Bootstrap is a deployment package holding exe as the executable bootstrap.
func Bootstrap(exe []byte) ([]byte, error) {
	return Build(Entry{Name: "bootstrap", Mode: 0o755, Body: exe})
}
