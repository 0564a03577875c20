package provgate

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/provgate/provgate"

type pkg struct {
	ImportPath string
	Dir        string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestEveryPackageHasDocGo: a package's doc.go tells a newcomer what belongs
// in it and what does not.
func TestEveryPackageHasDocGo(t *testing.T) {
	for _, p := range listPackages(t) {
		b, err := os.ReadFile(filepath.Join(p.Dir, "doc.go"))
		if err != nil {
			t.Errorf("%s has no doc.go", p.ImportPath)
			continue
		}
		if !strings.Contains(string(b), "// Package ") && !strings.Contains(string(b), "// Command ") {
			t.Errorf("%s/doc.go has no package comment", p.ImportPath)
		}
	}
}

// TestDependencyDirection enforces the arrows of ARCHITECTURE.md: they
// point toward settlement, and each library stays behind its package.
func TestDependencyDirection(t *testing.T) {
	rules := []struct {
		pkg        string // package path under the module, or a prefix ending in /
		forbidden  []string
		why        string
		transitive bool // checked over all dependencies, not only direct imports
	}{
		{"settlement", []string{module + "/", "github.com/", "golang.org/", "gopkg.in/"}, "the domain imports only the standard library", true},
		{"adapters/", []string{module + "/gateway", module + "/consensus", module + "/storage", module + "/cmd",
			"github.com/gin-gonic/", "github.com/dgraph-io/", "github.com/hashicorp/raft"}, "adapters are pure translators", true},
		{"storage", []string{module + "/consensus", module + "/gateway", module + "/adapters", "github.com/hashicorp/raft", "github.com/gin-gonic/"},
			"storage knows nothing of raft or HTTP", true},
		{"consensus", []string{module + "/gateway", module + "/adapters", "github.com/gin-gonic/"}, "consensus knows nothing of HTTP or formats", true},
		{"gateway", []string{module + "/storage", "github.com/dgraph-io/", "github.com/hashicorp/raft"}, "the gateway talks to the ledger, not to storage or raft (it may import consensus for its sentinel errors)", false},
	}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, r := range rules {
			if rel != r.pkg && !(strings.HasSuffix(r.pkg, "/") && strings.HasPrefix(rel, r.pkg)) {
				continue
			}
			deps := p.Imports
			if r.transitive {
				deps = p.Deps
			}
			for _, dep := range deps {
				for _, f := range r.forbidden {
					if strings.HasPrefix(dep, f) && dep != p.ImportPath {
						t.Errorf("%s depends on %s: %s", rel, dep, r.why)
					}
				}
			}
		}
	}
}

// TestEveryRefusalIsTested keeps the refusal catalogue honest: every code
// in settlement/errors.go must be exercised by some test, by its code in a
// golden file or test, or by its constant name in a test.
func TestEveryRefusalIsTested(t *testing.T) {
	src, err := os.ReadFile("settlement/errors.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := regexp.MustCompile(`(Code\w+)\s+Code = "(E\d{4})"`).FindAllStringSubmatch(string(src), -1)
	if len(consts) < 30 {
		t.Fatalf("found only %d codes in settlement/errors.go", len(consts))
	}
	var corpus strings.Builder
	filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") {
			b, _ := os.ReadFile(path)
			corpus.Write(b)
		}
		return nil
	})
	all := corpus.String()
	for _, c := range consts {
		name, code := c[1], c[2]
		if !strings.Contains(all, `"`+code+`"`) && !strings.Contains(all, "["+code+"]") && !strings.Contains(all, "."+name) &&
			!regexp.MustCompile(`\b`+name+`\b`).MatchString(all) {
			t.Errorf("%s (%s) is exercised by no test", code, name)
		}
	}
}
