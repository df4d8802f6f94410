package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// computedDefaults are the keys whose default is not a constant, so the
// README's table describes it in words instead of a `value`; each function
// returns what `mailserver config` must print for it.
var computedDefaults = map[string]func() (any, error){
	"hostname": func() (any, error) { return os.Hostname() },
}

// TestReadmeConfigTableMatchesConfig: README's configuration reference and
// `mailserver config` (the effective configuration, here the embedded
// defaults alone) list the same keys with the same defaults. Keeps the
// hand-written table from drifting from defaultConfig (issue 10, item 18).
func TestReadmeConfigTableMatchesConfig(t *testing.T) {
	table := readmeConfigTable(t)
	printed := printedDefaults(t)

	var problems []string
	for _, key := range sortedKeys(table) {
		cell := table[key]
		got, ok := printed[key]
		if !ok {
			problems = append(problems, key+": in README's table but not printed by `mailserver config`")
			continue
		}
		var want any
		if span, ok := codeSpan(cell); ok {
			var v struct{ V any }
			if _, err := toml.Decode("V = "+span, &v); err != nil {
				problems = append(problems, key+": README default `"+span+"` is not a TOML value: "+err.Error())
				continue
			}
			want = v.V
		} else if compute, ok := computedDefaults[key]; ok {
			v, err := compute()
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			want = v
		} else {
			problems = append(problems, key+": README default "+quoteCell(cell)+" has no `value` (only "+
				strings.Join(sortedKeys(computedDefaults), ", ")+" may be described in words)")
			continue
		}
		if !reflect.DeepEqual(got, want) {
			problems = append(problems, key+": README says "+quoteCell(cell)+", `mailserver config` prints "+tomlValue(t, got))
		}
	}
	for _, key := range sortedKeys(printed) {
		if _, ok := table[key]; !ok {
			problems = append(problems, key+": printed by `mailserver config` (default "+tomlValue(t, printed[key])+
				") but missing from README's configuration table")
		}
	}
	if len(problems) > 0 {
		t.Errorf("README.md \"Configuration reference\" and `mailserver config` disagree:\n  %s",
			strings.Join(problems, "\n  "))
	}
}

// readmeConfigTable returns the README's configuration table as dotted key
// ("smtp.max_connections") -> its Default cell. A row whose key cell is
// **`[section]`** starts a section; a row with an empty key cell is a note.
func readmeConfigTable(t *testing.T) map[string]string {
	t.Helper()
	rows := tableRows(readmeSection(t, "Configuration reference"))
	if len(rows) == 0 {
		t.Fatal("README's Configuration reference has no table")
	}
	table := map[string]string{}
	section := ""
	for _, cells := range rows {
		if len(cells) < 3 {
			t.Fatalf("README configuration table: row %q has %d cells, want Key | Default | Meaning", cells, len(cells))
		}
		keyCell := cells[0]
		switch {
		case keyCell == "":
			continue
		case strings.HasPrefix(keyCell, "**`[") && strings.HasSuffix(keyCell, "]`**"):
			section = strings.TrimSuffix(strings.TrimPrefix(keyCell, "**`["), "]`**")
			continue
		}
		name, ok := codeSpan(keyCell)
		if !ok || "`"+name+"`" != keyCell {
			t.Fatalf("README configuration table: key cell %q is neither `key` nor **`[section]`**", keyCell)
		}
		key := name
		if section != "" {
			key = section + "." + name
		}
		if _, dup := table[key]; dup {
			t.Errorf("README configuration table lists %s twice", key)
		}
		table[key] = cells[1]
	}
	return table
}

// printedDefaults runs `mailserver config` with an empty config file and
// returns what it prints, as dotted key -> decoded TOML value.
func printedDefaults(t *testing.T) map[string]any {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty.toml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	noEnv := func(string) string { return "" }
	if code := run(context.Background(), []string{"--config", empty, "config"}, strings.NewReader(""), &stdout, &stderr, noEnv); code != exitOK {
		t.Fatalf("mailserver config: exit %d: %s", code, stderr.String())
	}
	var doc map[string]any
	if _, err := toml.Decode(stdout.String(), &doc); err != nil {
		t.Fatalf("mailserver config printed invalid TOML: %v\n%s", err, stdout.String())
	}
	flat := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			flat[prefix+k] = v
		}
	}
	walk("", doc)
	return flat
}

func tomlValue(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(map[string]any{"V": v}); err != nil {
		t.Fatal(err)
	}
	return "`" + strings.TrimSpace(strings.TrimPrefix(b.String(), "V = ")) + "`"
}

func quoteCell(cell string) string {
	if cell == "" {
		return "(empty)"
	}
	return strings.TrimSpace(cell)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
