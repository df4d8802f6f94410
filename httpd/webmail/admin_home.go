package webmail

import "net/http"

// adminHomeData is the overview page's data.
type adminHomeData struct {
	adminPage
	Domains, Users, Aliases, Queued int
	Pending                         int // recipients still to deliver
}

func (h *Handler) adminHome(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx := r.Context()
	a := h.o.Admin
	d := &adminHomeData{adminPage: adminPage{Title: "Administration", Section: "home", Notice: notice(r)}}
	domains, err := a.Domains(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	users, err := a.Users(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	aliases, err := a.Aliases(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	queued, err := a.QueueList(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Domains, d.Users, d.Aliases, d.Queued = len(domains), len(users), len(aliases), len(queued)
	for _, m := range queued {
		for _, rc := range m.Recipients {
			if rc.State.Pending() {
				d.Pending++
			}
		}
	}
	h.render(w, r, s, "admin", d)
}
