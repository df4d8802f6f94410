package sievetest

import "testing"

func TestRewriteEreject(t *testing.T) {
	cases := []struct{ in, want string }{
		{"require \"ereject\";\nereject \"no\";\n", "require \"reject\";\nreject \"no\";\n"},
		{"require [\"fileinto\", \"EREJECT\"];\nif true { EReject text:\nereject stays\n.\n; }",
			"require [\"fileinto\", \"reject\"];\nif true { reject text:\nereject stays\n.\n; }"},
		{"# ereject in a comment\n/* ereject */ keep; fileinto \"ereject\";",
			"# ereject in a comment\n/* ereject */ keep; fileinto \"ereject\";"},
		{"require \"ereject\"; ereject \"say \\\"ereject\\\"\";", "require \"reject\"; reject \"say \\\"ereject\\\"\";"},
		{"require \"reject\";\nereject \"not required\";", "require \"reject\";\nereject \"not required\";"},
		{"erejected;", "erejected;"},
		{"\"unterminated ereject", "\"unterminated ereject"},
	}
	for _, c := range cases {
		if got := string(rewriteEreject([]byte(c.in))); got != c.want {
			t.Errorf("rewriteEreject(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func FuzzRewriteEreject(f *testing.F) {
	f.Add("require \"ereject\";\nereject \"no\";\n")
	f.Add("text:\n.\n# /* \"")
	f.Fuzz(func(t *testing.T, s string) {
		out := rewriteEreject([]byte(s))
		if len(out) > len(s) {
			t.Fatalf("rewrite grew the script: %d > %d", len(out), len(s))
		}
	})
}
