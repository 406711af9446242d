package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Assets serves static files under content-hashed URLs, /static/<hash>/<path>, cached
// for a year; a changed file gets a new URL.
type Assets struct {
	fsys   fs.FS
	hashes map[string]string
}

// NewAssets hashes every file of fsys.
func NewAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{fsys: fsys, hashes: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return a, err
}

// URL is the hashed URL of the asset at p ("css/app.css"); templates call it as asset.
func (a *Assets) URL(p string) string {
	h, ok := a.hashes[p]
	if !ok {
		return "/static/missing/" + p
	}
	return "/static/" + h + "/" + p
}

// Routes serves the assets.
func (a *Assets) Routes() []Route {
	return []Route{{Method: http.MethodGet, Path: "/static/:hash/*", Perm: Public, Handler: a.serve}}
}

func (a *Assets) serve(c echo.Context) error {
	p := path.Clean(c.Param("*"))
	want, ok := a.hashes[p]
	if !ok {
		return echo.ErrNotFound
	}
	b, err := fs.ReadFile(a.fsys, p)
	if err != nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if c.Param("hash") == want {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	ct := mime.TypeByExtension(path.Ext(p))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return c.Blob(http.StatusOK, ct, b)
}
