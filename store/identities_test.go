package store

import (
	"strings"
	"testing"
)

func TestSendAsAddresses(t *testing.T) {
	s := openTest(t)
	alice := mustUser(t, s, "alice@example.test")
	bob := mustUser(t, s, "bob@example.test")
	for addr, targets := range map[string][]string{
		"team@example.test":  {"alice@example.test", "bob@example.test"},
		"boss@example.test":  {"alice@example.test"},
		"chain@example.test": {"boss@example.test"},
		"bobs@example.test":  {"bob@example.test"},
		"@example.test":      {"alice@example.test"},
	} {
		if err := s.AddAlias(ctx, addr, targets); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SendAsAddresses(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "alice@example.test boss@example.test chain@example.test team@example.test" {
		t.Errorf("alice may send as %v", got)
	}
	// Every listed address passes MaySendAs, and the list is bob's own for bob.
	for _, a := range got {
		if ok, err := s.MaySendAs(ctx, alice, a); !ok || err != nil {
			t.Errorf("MaySendAs(alice, %s) = %v, %v", a, ok, err)
		}
	}
	got, _ = s.SendAsAddresses(ctx, bob)
	if strings.Join(got, " ") != "bob@example.test bobs@example.test team@example.test" {
		t.Errorf("bob may send as %v", got)
	}
}
