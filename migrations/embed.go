// Package migrations holds the numbered SQL migrations of each store engine,
// embedded in the binary. A file is named NNNN_name.sql; each runs in its own
// transaction and is recorded in schema_migrations.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load returns the migrations of an engine ("sqlite" or "postgres") in
// version order. Gaps and duplicate versions are errors, so a bad file is
// caught by the tests rather than at a district's first start.
func Load(engine string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, engine)
	if err != nil {
		return nil, fmt.Errorf("migrations for engine %q: %w", engine, err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_name.sql", engine, name)
		}
		b, err := files.ReadFile(path.Join(engine, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations for %s: want version %d, found %d (%s)", engine, i+1, m.Version, m.Name)
		}
	}
	return ms, nil
}

// Latest returns the highest version of an engine's migrations.
func Latest(engine string) int {
	ms, err := Load(engine)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
