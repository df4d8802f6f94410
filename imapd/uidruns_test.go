package imapd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestUIDRuns checks the run list against a plain slice through random
// appends and deletes.
func TestUIDRuns(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		var model []uint32
		uid := uint32(0)
		for range rnd.IntN(300) {
			uid += 1 + uint32(rnd.IntN(3)/2) // mostly consecutive
			model = append(model, uid)
		}
		l := newUIDRuns(model)
		for op := 0; op < 400; op++ {
			if len(model) > 0 && rnd.IntN(3) > 0 {
				i := rnd.IntN(len(model))
				model = slices.Delete(model, i, i+1)
				l.delete(i)
			} else {
				uid += 1 + uint32(rnd.IntN(2))
				model = append(model, uid)
				l.append(uid)
			}
			if l.len() != len(model) {
				t.Fatalf("len %d, want %d", l.len(), len(model))
			}
			for i, u := range model {
				if got := l.at(i); got != u {
					t.Fatalf("at(%d) = %d, want %d (runs %v)", i, got, u, l.runs)
				}
			}
			for u := uint32(0); u <= uid+1; u++ {
				wi, wok := slices.BinarySearch(model, u)
				if gi, gok := l.search(u); gi != wi || gok != wok {
					t.Fatalf("search(%d) = %d,%v, want %d,%v (runs %v)", u, gi, gok, wi, wok, l.runs)
				}
			}
			var last uint32
			if len(model) > 0 {
				last = model[len(model)-1]
			}
			if l.last() != last {
				t.Fatalf("last %d, want %d", l.last(), last)
			}
		}
	}
}
