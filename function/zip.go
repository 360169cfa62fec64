package function

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Lambda's deployment package limits.
const (
	maxZippedSize   = 52428800  // 50 MiB, for a zip uploaded inline
	maxUnzippedSize = 262144000 // 250 MiB
	maxLinkTarget   = 4096
)

// checkZip validates a function's deployment package as Lambda does, and more: it
// must be a zip within Lambda's limits, with no entry that escapes its folder (no
// absolute path, no "..", no symbolic link pointing outside), and an executable
// bootstrap at its root. The errors, a *TooLargeError or an *InvalidParameterError,
// carry Lambda's texts.
func checkZip(data []byte) (*zip.Reader, error) {
	if len(data) > maxZippedSize {
		return nil, &TooLargeError{Message: fmt.Sprintf("Zipped size must be smaller than %d bytes", maxZippedSize)}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, invalidParameter("Code.ZipFile", "Could not unzip uploaded file. Please check your file, then try to upload again.")
	}
	var total uint64
	bootstrap := false
	for _, f := range zr.File {
		name, isDir := entryName(f)
		if !filepath.IsLocal(name) || strings.Contains(f.Name, `\`) {
			return nil, invalidParameter("Code.ZipFile", "Could not unzip uploaded file: entry %q is outside the function's folder (absolute path, \"..\" or backslash). Remove it from the zip and upload again.", f.Name)
		}
		total += f.UncompressedSize64
		if total >= maxUnzippedSize {
			return nil, invalidParameter("Code.ZipFile", "Unzipped size must be smaller than %d bytes", maxUnzippedSize)
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			target, err := linkTarget(f)
			if err != nil {
				return nil, invalidParameter("Code.ZipFile", "Could not unzip uploaded file: symbolic link %q: %v", f.Name, err)
			}
			if path.IsAbs(target) || !filepath.IsLocal(path.Join(path.Dir(name), target)) {
				return nil, invalidParameter("Code.ZipFile", "Could not unzip uploaded file: symbolic link %q points to %q, outside the function's folder. Replace it with the file itself.", f.Name, target)
			}
		case isDir || mode.IsDir():
		case !mode.IsRegular():
			return nil, invalidParameter("Code.ZipFile", "Could not unzip uploaded file: entry %q is not a regular file, directory or symbolic link", f.Name)
		}
		if name == "bootstrap" {
			if isDir || mode.IsDir() {
				return nil, invalidParameter("Code.ZipFile", "Couldn't find valid bootstrap(s): [bootstrap]: bootstrap is a directory; the zip must hold an executable file named bootstrap at its root")
			}
			if mode.IsRegular() && mode.Perm()&0o111 == 0 {
				return nil, invalidParameter("Code.ZipFile", "The bootstrap file in the zip is not executable (mode %v): set it with chmod 755 bootstrap before zipping", mode.Perm())
			}
			bootstrap = true
		}
	}
	if !bootstrap {
		return nil, invalidParameter("Code.ZipFile", "Couldn't find valid bootstrap(s): [bootstrap]: runtimes provided.al2023 and provided.al2 need an executable file named bootstrap at the root of the zip")
	}
	return zr, nil
}

// entryName returns an entry's slash-separated name without a trailing slash.
func entryName(f *zip.File) (name string, isDir bool) {
	name = f.Name
	if strings.HasSuffix(name, "/") {
		return strings.TrimSuffix(name, "/"), true
	}
	return name, false
}

func linkTarget(f *zip.File) (string, error) {
	if f.UncompressedSize64 > maxLinkTarget {
		return "", errors.New("link target too long")
	}
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
	if err != nil {
		return "", err
	}
	if len(b) == 0 || len(b) > maxLinkTarget || bytes.IndexByte(b, 0) >= 0 {
		return "", errors.New("invalid link target")
	}
	return string(b), nil
}

// unpackZip checks data and unpacks it into dir, which it creates. It writes into a
// temporary folder beside dir and renames it, so dir is either whole or absent; if
// dir already exists (unpacked before), it is kept.
func unpackZip(data []byte, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	zr, err := checkZip(data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.tmp-%016x", dir, rand.Uint64())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	if err := extract(zr, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return nil // unpacked meanwhile by someone else
		}
		return err
	}
	return nil
}

// extract writes every entry under dir through an os.Root, so that no entry and no
// symbolic link can make a write land outside dir.
func extract(zr *zip.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	budget := int64(maxUnzippedSize)
	for _, f := range zr.File {
		name, isDir := entryName(f)
		mode := f.Mode()
		if isDir || mode.IsDir() {
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("unpacking %s: %w", f.Name, err)
			}
			continue
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("unpacking %s: %w", f.Name, err)
			}
		}
		_ = root.Remove(name) // a later entry replaces an earlier one, never writes through it
		if mode&fs.ModeSymlink != 0 {
			target, err := linkTarget(f)
			if err != nil {
				return fmt.Errorf("unpacking %s: %w", f.Name, err)
			}
			if err := root.Symlink(target, name); err != nil {
				return fmt.Errorf("unpacking %s: %w", f.Name, err)
			}
			continue
		}
		n, err := extractFile(root, f, name, budget)
		if err != nil {
			return fmt.Errorf("unpacking %s: %w", f.Name, err)
		}
		budget -= n
	}
	return nil
}

func extractFile(root *os.Root, f *zip.File, name string, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.Mode().Perm()|0o400)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, io.LimitReader(rc, budget+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > budget {
		err = fmt.Errorf("Unzipped size must be smaller than %d bytes", maxUnzippedSize)
	}
	return n, err
}
