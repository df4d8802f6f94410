package webmail

import "net/http"

// A destructive admin action is done only when its request says
// confirm=yes: the first POST (from the button in a list) answers with a
// page that asks, whose form repeats the request with confirm=yes. This
// needs no script, and a forged or mistaken click deletes nothing.

// adminField is a form field the confirmation repeats.
type adminField struct{ Name, Value string }

// adminConfirmData is the confirmation page's data.
type adminConfirmData struct {
	adminPage
	Question string // "Delete the user alice@example.com?"
	Detail   string // what it means
	Action   string // the form's action: the same path
	Fields   []adminField
	Button   string // the confirming button's text
	Cancel   string // where "Cancel" leads
}

// confirmed reports whether r confirms the action; if not, it answers
// with the confirmation page d describes.
func (h *Handler) confirmed(w http.ResponseWriter, r *http.Request, s *Session, d *adminConfirmData) bool {
	if r.PostFormValue("confirm") == "yes" {
		return true
	}
	d.Action = r.URL.Path
	if d.Title == "" {
		d.Title = "Confirm"
	}
	h.render(w, r, s, "admin_confirm", d)
	return false
}
