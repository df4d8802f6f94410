package webmail

import (
	"context"
	"sort"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// folder is one entry of the folder list.
type folder struct {
	ID         uint64
	Name       string
	Display    string // the last component of the name
	Depth      int    // nesting level, for indentation
	SpecialUse string // `\Sent`, ...
	Icon       string // a text symbol for the special use
	Unseen     uint32
	Messages   uint32
	Current    bool
}

// specialIcons are text symbols for RFC 6154 special uses (and INBOX),
// from the Dingbats and Geometric Shapes blocks that common fonts (DejaVu,
// the system fonts of phones) have, unlike emoji.
var specialIcons = map[string]string{
	"INBOX":    "✉",
	`\Sent`:    "➤",
	`\Drafts`:  "✎",
	`\Trash`:   "✖",
	`\Junk`:    "⚠",
	`\Archive`: "▤",
	`\Flagged`: "⚑",
	`\All`:     "▦",
}

// folderOrder puts INBOX first, then the special folders, then the rest
// by name.
var folderOrder = map[string]int{"INBOX": 0, `\Drafts`: 1, `\Sent`: 2, `\Archive`: 3, `\Junk`: 4, `\Trash`: 5}

// folders lists the user's mailboxes for the folder list, marking current.
func (h *Handler) folders(ctx context.Context, userID, current uint64) ([]folder, error) {
	mbs, err := h.o.Store.Mailboxes(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]folder, 0, len(mbs))
	for _, m := range mbs {
		f := folder{ID: m.ID, Name: m.Name, Display: m.Name, SpecialUse: m.SpecialUse,
			Unseen: m.Unseen, Messages: m.Messages, Current: m.ID == current}
		if i := strings.LastIndexByte(m.Name, '/'); i >= 0 {
			f.Display = m.Name[i+1:]
			f.Depth = strings.Count(m.Name, "/")
		}
		key := m.SpecialUse
		if store.IsInbox(m.Name) {
			key = "INBOX"
		}
		f.Icon = specialIcons[key]
		if f.Icon == "" {
			f.Icon = "▸"
		}
		out = append(out, f)
	}
	rank := func(f folder) int {
		if store.IsInbox(f.Name) {
			return 0
		}
		if r, ok := folderOrder[f.SpecialUse]; ok && f.Depth == 0 {
			return r
		}
		return 10
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
