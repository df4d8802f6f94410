package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README tests (readme_test.go, config_table_test.go) read README.md
// the way a newcomer does: by its sections, tables and fenced code blocks.
// These helpers understand just the Markdown that README.md uses.

// readmeRoot is the repository root, seen from this package's directory.
func readmeRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readmeSection returns the text of the "## heading" section of README.md,
// up to the next second-level heading; subsections (###) are part of it.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(readmeRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "## "+heading {
			start = i + 1
			break
		}
	}
	if start < 0 {
		t.Fatalf("README.md has no %q section", "## "+heading)
	}
	end := len(lines)
	inFence := false
	for i := start; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(lines[i], "## ") {
			end = i
			break
		}
	}
	return strings.Join(lines[start:end], "\n")
}

// fencedBlock is one ``` block: its info string ("sh", "toml") and body.
type fencedBlock struct {
	lang string
	body string
	line int // 1-based line within the section, for messages
}

// fencedBlocks returns the fenced code blocks of text in order.
func fencedBlocks(t *testing.T, text string) []fencedBlock {
	t.Helper()
	var blocks []fencedBlock
	var cur *fencedBlock
	var body []string
	for i, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "```") {
			if cur != nil {
				body = append(body, l)
			}
			continue
		}
		if cur == nil {
			cur = &fencedBlock{lang: strings.TrimSpace(strings.TrimPrefix(l, "```")), line: i + 1}
			body = nil
			continue
		}
		cur.body = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, *cur)
		cur = nil
	}
	if cur != nil {
		t.Fatalf("README: the code block opened at line %d of the section is not closed", cur.line)
	}
	return blocks
}

// tableRows returns the cells of every row of the Markdown tables in text,
// without the header and delimiter rows. A cell's backticks are kept.
func tableRows(text string) [][]string {
	var rows [][]string
	header := true
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") {
			header = true // the next table starts with its header
			continue
		}
		if header {
			header = false
			continue
		}
		if strings.Trim(l, "|-: ") == "" {
			continue // the delimiter row
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	return rows
}

// codeSpan returns the text of the first `code span` in s.
func codeSpan(s string) (string, bool) {
	_, rest, ok := strings.Cut(s, "`")
	if !ok {
		return "", false
	}
	span, _, ok := strings.Cut(rest, "`")
	return span, ok
}
