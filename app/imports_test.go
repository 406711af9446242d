package app_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/srgplatform/srg"

// TestImportDirection enforces the import direction of STYLE.md:
// main → app → modules/* → app/<sub>. A module never imports the root app package nor
// another module; a platform package under app/ never imports app or a module.
func TestImportDirection(t *testing.T) {
	checked := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		dir := filepath.ToSlash(filepath.Dir(rel))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if msg := violation(dir, p); msg != "" {
				t.Errorf("%s imports %s: %s", rel, p, msg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files: is the walk rooted at the repository?", checked)
	}
}

func violation(dir, imp string) string {
	if !strings.HasPrefix(imp, modulePath+"/") {
		return ""
	}
	target := strings.TrimPrefix(imp, modulePath+"/")
	switch {
	case strings.HasPrefix(dir, "modules/"):
		own := strings.SplitN(strings.TrimPrefix(dir, "modules/"), "/", 2)[0]
		if target == "app" {
			return "a module must not import the root app package"
		}
		if strings.HasPrefix(target, "modules/") {
			other := strings.SplitN(strings.TrimPrefix(target, "modules/"), "/", 2)[0]
			if other != own {
				return "a module must not import another module (declare an interface; app passes the implementation)"
			}
		}
	case strings.HasPrefix(dir, "app/"):
		if target == "app" {
			return "a platform package must not import the root app package"
		}
		if strings.HasPrefix(target, "modules/") {
			return "a platform package must not import a module"
		}
	}
	return ""
}

func TestImportDirectionRules(t *testing.T) {
	tests := []struct {
		dir, imp string
		bad      bool
	}{
		{"modules/tracking", modulePath + "/app", true},
		{"modules/tracking", modulePath + "/modules/identity", true},
		{"modules/sync/hubspot", modulePath + "/modules/attribution", true},
		{"modules/sync/hubspot", modulePath + "/modules/sync", false},
		{"modules/tracking", modulePath + "/app/web", false},
		{"app/web", modulePath + "/app", true},
		{"app/web", modulePath + "/modules/portal", true},
		{"app/web", modulePath + "/app/errs", false},
		{"app", modulePath + "/modules/portal", false},
		{".", modulePath + "/app", false},
		{"modules/tracking", "github.com/labstack/echo/v4", false},
	}
	for _, tt := range tests {
		if got := violation(tt.dir, tt.imp) != ""; got != tt.bad {
			t.Errorf("%s importing %s: violation=%v, want %v", tt.dir, tt.imp, got, tt.bad)
		}
	}
}
