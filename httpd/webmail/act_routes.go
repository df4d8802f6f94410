package webmail

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// maxSelection bounds the messages one action may name.
const maxSelection = 10000

// routesAct registers the actions on messages and folders.
func (h *Handler) routesAct(mux *http.ServeMux) {
	mux.HandleFunc("POST /webmail/messages", h.requireUser(h.actMessages))
	mux.HandleFunc("GET /webmail/folders", h.requireUser(h.serveFolders))
	mux.HandleFunc("POST /webmail/folders/create", h.requireUser(h.createFolder))
	mux.HandleFunc("POST /webmail/folders/rename", h.requireUser(h.renameFolder))
	mux.HandleFunc("POST /webmail/folders/delete", h.requireUser(h.deleteFolder))
}

// userError is an action the user asked for that cannot be done; its
// text is shown.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

// actMessages applies op to the selected messages: form fields uid
// (repeated; "UID" in the mailbox of field mailbox, or "MAILBOX:UID" as
// search results send), op, dest for move, back. op is read, unread,
// flag, unflag, move or delete (to Trash; in Trash, for good). Mailboxes
// are looked up under the session's user: another user's IDs are not
// found.
func (h *Handler) actMessages(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx := r.Context()
	var defaultBox uint64
	if v := r.PostFormValue("mailbox"); v != "" {
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			http.Error(w, "400 bad mailbox", http.StatusBadRequest)
			return
		}
		defaultBox = id
	}
	sel, err := parseSelection(r.PostForm["uid"], defaultBox)
	if err != nil {
		http.Error(w, "400 "+err.Error(), http.StatusBadRequest)
		return
	}
	op := r.PostFormValue("op")
	var notices []string
	if len(sel) == 0 {
		notices = append(notices, "Select one or more messages first.")
	}
	for _, part := range sel {
		mb, err := h.o.Store.MailboxByID(ctx, s.UserID, part.mailbox)
		if errors.Is(err, store.ErrNoSuchMailbox) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		notice, err := h.applyOp(ctx, s, mb, part.uids, op, r.PostFormValue("dest"))
		var ue *userError
		if errors.As(err, &ue) {
			if isFetch(r) {
				http.Error(w, ue.msg, http.StatusUnprocessableEntity)
				return
			}
			notices = append(notices, ue.msg)
			break
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if notice != "" {
			notices = append(notices, notice)
		}
	}
	if isFetch(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	back := safeBack(r.PostFormValue("back"), defaultBox)
	// After moving, deleting or marking unread from the message view,
	// the list: showing the message again would mark it read again.
	if (op == "move" || op == "delete" || op == "unread") && strings.HasPrefix(back, "/webmail/message/") {
		back = fmt.Sprintf("/webmail/mailbox/%d", defaultBox)
	}
	http.Redirect(w, r, withNotice(back, strings.Join(notices, " ")), http.StatusSeeOther)
}

// selection is the selected messages of one mailbox.
type selection struct {
	mailbox uint64
	uids    []uint32
}

// parseSelection parses the uid form values ("UID", "MAILBOX:UID", or
// comma-separated lists of them), grouped by mailbox in order of first
// appearance.
func parseSelection(vals []string, defaultBox uint64) ([]selection, error) {
	var out []selection
	index := map[uint64]int{}
	n := 0
	for _, v := range vals {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			box := defaultBox
			if b, u, ok := strings.Cut(f, ":"); ok {
				id, err := strconv.ParseUint(b, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("bad mailbox in %q", truncate(f, 40))
				}
				box, f = id, u
			}
			uid, err := strconv.ParseUint(f, 10, 32)
			if err != nil || uid == 0 || box == 0 {
				return nil, fmt.Errorf("bad message number %q", truncate(f, 40))
			}
			if n++; n > maxSelection {
				return nil, fmt.Errorf("more than %d messages selected", maxSelection)
			}
			i, ok := index[box]
			if !ok {
				i = len(out)
				index[box] = i
				out = append(out, selection{mailbox: box})
			}
			out[i].uids = append(out[i].uids, uint32(uid))
		}
	}
	return out, nil
}

// applyOp does one action and says what it did.
func (h *Handler) applyOp(ctx context.Context, s *Session, mb *store.Mailbox, uids []uint32, op, dest string) (string, error) {
	st := h.o.Store
	flags := func(fop store.FlagOp, flag string) error {
		_, err := st.StoreFlags(ctx, s.UserID, mb.ID, uids, fop, []string{flag}, store.StoreFlagsOptions{})
		return err
	}
	switch op {
	case "read":
		return "", flags(store.FlagsAdd, `\Seen`)
	case "unread":
		return "", flags(store.FlagsRemove, `\Seen`)
	case "flag":
		return "", flags(store.FlagsAdd, `\Flagged`)
	case "unflag":
		return "", flags(store.FlagsRemove, `\Flagged`)
	case "move":
		if dest == "" {
			return "", &userError{"Choose a folder to move to."}
		}
		res, err := st.Move(ctx, s.UserID, mb.ID, uids, dest)
		if errors.Is(err, store.ErrNoSuchMailbox) {
			return "", &userError{"There is no folder " + dest + "."}
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Moved %d %s to %s.", len(res.SrcUIDs), plural(len(res.SrcUIDs), "message", "messages"), dest), nil
	case "delete":
		if mb.SpecialUse == `\Trash` {
			gone, err := st.Expunge(ctx, s.UserID, mb.ID, store.ExpungeOptions{UIDs: uids})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Deleted %d %s for good.", len(gone), plural(len(gone), "message", "messages")), nil
		}
		trash, err := h.trash(ctx, s.UserID)
		if err != nil {
			return "", err
		}
		res, err := st.Move(ctx, s.UserID, mb.ID, uids, trash)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Moved %d %s to %s.", len(res.SrcUIDs), plural(len(res.SrcUIDs), "message", "messages"), trash), nil
	default:
		return "", &userError{"Unknown action."}
	}
}

// trash is the name of the user's Trash (RFC 6154 \Trash), created as
// "Trash" when there is none.
func (h *Handler) trash(ctx context.Context, userID uint64) (string, error) {
	mbs, err := h.o.Store.Mailboxes(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, m := range mbs {
		if m.SpecialUse == `\Trash` {
			return m.Name, nil
		}
	}
	if _, err := h.o.Store.CreateMailbox(ctx, userID, "Trash", `\Trash`); err != nil && !errors.Is(err, store.ErrExists) {
		return "", err
	}
	return "Trash", nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// isFetch reports whether the request comes from the page's script
// (which wants a status, not a page).
func isFetch(r *http.Request) bool { return r.Header.Get("X-Requested-With") != "" }

// safeBack is where to return after an action: a webmail path of this
// site (never another host), else the mailbox.
func safeBack(back string, mboxID uint64) string {
	if strings.HasPrefix(back, "/webmail/") && !strings.ContainsAny(back, "\\\r\n") {
		if u, err := url.Parse(back); err == nil && u.Host == "" && u.Scheme == "" {
			return back
		}
	}
	if mboxID == 0 {
		return "/webmail/"
	}
	return fmt.Sprintf("/webmail/mailbox/%d", mboxID)
}

// withNotice adds the notice to a URL's query (notice=...).
func withNotice(u, notice string) string {
	if notice == "" {
		return u
	}
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := pu.Query()
	q.Set("notice", notice)
	pu.RawQuery = q.Encode()
	return pu.String()
}

// foldersData is the folder management page's data.
type foldersData struct {
	Folders []folder
	Notice  string
}

func (d *foldersData) PageTitle() string { return "Folders" }

func (h *Handler) serveFolders(w http.ResponseWriter, r *http.Request, s *Session) {
	folders, err := h.folders(r.Context(), s.UserID, 0)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, s, "folders", &foldersData{Folders: folders, Notice: r.URL.Query().Get("notice")})
}

// folderDone returns to the folder page with what happened.
func (h *Handler) folderDone(w http.ResponseWriter, r *http.Request, err error, done string) {
	var ue *userError
	switch {
	case err == nil:
		http.Redirect(w, r, withNotice("/webmail/folders", done), http.StatusSeeOther)
	case errors.As(err, &ue):
		http.Redirect(w, r, withNotice("/webmail/folders", ue.msg), http.StatusSeeOther)
	default:
		h.serverError(w, r, err)
	}
}

// folderError turns the store's refusals into words.
func folderError(err error, name string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrMailboxExists):
		return &userError{"A folder " + name + " exists already."}
	case errors.Is(err, store.ErrNoSuchMailbox):
		return &userError{"There is no folder " + name + "."}
	case errors.Is(err, store.ErrInvalidName):
		return &userError{"The name " + name + " cannot be used for a folder."}
	case errors.Is(err, store.ErrCannotDelete):
		return &userError{"The folder " + name + " cannot be deleted."}
	}
	return err
}

func (h *Handler) createFolder(w http.ResponseWriter, r *http.Request, s *Session) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if parent := r.PostFormValue("parent"); parent != "" && name != "" {
		name = parent + string(store.Delimiter) + name
	}
	if name == "" {
		h.folderDone(w, r, &userError{"Give the folder a name."}, "")
		return
	}
	_, err := h.o.Store.CreateMailbox(r.Context(), s.UserID, name, "")
	h.folderDone(w, r, folderError(err, name), "Created "+name+".")
}

func (h *Handler) renameFolder(w http.ResponseWriter, r *http.Request, s *Session) {
	from, to := r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("new"))
	if from == "" || to == "" {
		h.folderDone(w, r, &userError{"Give the new name."}, "")
		return
	}
	if store.IsInbox(from) {
		h.folderDone(w, r, &userError{"INBOX cannot be renamed here."}, "")
		return
	}
	err := h.o.Store.RenameMailbox(r.Context(), s.UserID, from, to)
	h.folderDone(w, r, folderError(err, to), "Renamed "+from+" to "+to+".")
}

// deleteFolder deletes a folder and the messages in it; the form must
// confirm (field confirm=yes), as this cannot be undone.
func (h *Handler) deleteFolder(w http.ResponseWriter, r *http.Request, s *Session) {
	name := r.PostFormValue("name")
	if r.PostFormValue("confirm") != "yes" {
		h.folderDone(w, r, &userError{"Tick the box to confirm deleting " + name + " and its messages."}, "")
		return
	}
	if mb, err := h.o.Store.MailboxByName(r.Context(), s.UserID, name); err == nil && (mb.SpecialUse != "" || store.IsInbox(mb.Name)) {
		h.folderDone(w, r, &userError{"The folder " + name + " is a special folder and stays."}, "")
		return
	}
	err := h.o.Store.DeleteMailbox(r.Context(), s.UserID, name, false)
	h.folderDone(w, r, folderError(err, name), "Deleted "+name+".")
}
