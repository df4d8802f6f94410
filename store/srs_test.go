package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestSRSSecretSurvivesReopen: the SRS secret is made once; an address
// handed out before a restart still resolves to the original sender
// after it (a remote, case-preserving route), and one from another
// database (another secret) does not.
func TestSRSSecretSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mail.db")
	st, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	addr, err := st.SRSForward("Dave@Sender.test", "example.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if st, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	routes, local, err := st.Resolve(ctx, addr)
	if err != nil || !local || len(routes) != 1 || routes[0].Remote != "Dave@sender.test" {
		t.Fatalf("Resolve(%s) after reopen = %+v, %v, %v; want remote Dave@sender.test", addr, routes, local, err)
	}

	other, err := Open(filepath.Join(t.TempDir(), "other.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Resolve(ctx, addr); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another server's SRS address: %v, want ErrNotFound", err)
	}
}
