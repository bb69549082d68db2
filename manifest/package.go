package manifest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"time"
)

// buildTime stamps every file of the zip, so the same options always give
// the same bytes.
var buildTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Build returns the Teams app package: a zip of manifest.json, color.png
// and outline.png at its root. EINVALID names a bad option.
func Build(opts Options) ([]byte, error) {
	manifest, err := Manifest(opts)
	if err != nil {
		return nil, err
	}
	colorPNG, err := ColorIcon()
	if err != nil {
		return nil, err
	}
	outlinePNG, err := OutlineIcon()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"manifest.json", manifest},
		{"color.png", colorPNG},
		{"outline.png", outlinePNG},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: buildTime})
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.name, err)
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, fmt.Errorf("zip %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip app package: %w", err)
	}
	return buf.Bytes(), nil
}
