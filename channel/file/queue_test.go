package file

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// expand lists the sequence numbers of runs.
func expand(spans []span) []uint64 {
	var out []uint64
	for _, s := range spans {
		for q := s.lo; q < s.hi; q++ {
			out = append(out, q)
		}
	}
	return out
}

// TestSpanQueueMatchesASortedSet pops, pushes back and inserts at random and compares the
// queue with a plain sorted slice of sequence numbers.
func TestSpanQueueMatchesASortedSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q spanQueue
	var model []uint64
	next := uint64(0)
	var out [][]span // popped, not yet handed back
	for step := range 2000 {
		switch r := rng.IntN(10); {
		case r < 4:
			n := uint64(1 + rng.IntN(10))
			q.pushBack(span{next, next + n})
			for i := range n {
				model = append(model, next+i)
			}
			next += n + uint64(rng.IntN(2)) // sometimes a gap, as a failed commit leaves
		case r < 7:
			k := rng.IntN(30)
			got := q.popFront(k, nil)
			want := model[:min(k, len(model))]
			if !slices.Equal(expand(got), want) {
				t.Fatalf("step %d: popFront(%d) = %v, want %v", step, k, expand(got), want)
			}
			model = slices.Clone(model[len(want):])
			out = append(out, got)
		case len(out) > 0:
			i := rng.IntN(len(out))
			q.insert(out[i])
			model = append(model, expand(out[i])...)
			slices.Sort(model)
			out = slices.Delete(out, i, i+1)
		}
		if q.count != len(model) {
			t.Fatalf("step %d: count %d, want %d", step, q.count, len(model))
		}
		if !slices.Equal(expand(q.runs()), model) {
			t.Fatalf("step %d: queue %v, want %v", step, expand(q.runs()), model)
		}
		for i := 1; i < len(q.runs()); i++ {
			if q.runs()[i-1].hi >= q.runs()[i].lo {
				t.Fatalf("step %d: runs %v not merged or out of order", step, q.runs())
			}
		}
	}
}

func TestAddSpan(t *testing.T) {
	tests := []struct {
		name  string
		spans []span
		add   span
		want  []span
	}{
		{"into nothing", nil, span{3, 5}, []span{{3, 5}}},
		{"before all", []span{{10, 12}}, span{3, 5}, []span{{3, 5}, {10, 12}}},
		{"after all", []span{{1, 2}}, span{3, 5}, []span{{1, 2}, {3, 5}}},
		{"touching the one before", []span{{1, 3}}, span{3, 5}, []span{{1, 5}}},
		{"touching the one after", []span{{5, 8}}, span{3, 5}, []span{{3, 8}}},
		{"joining two", []span{{1, 3}, {5, 8}}, span{3, 5}, []span{{1, 8}}},
		{"between two", []span{{1, 2}, {8, 9}}, span{4, 5}, []span{{1, 2}, {4, 5}, {8, 9}}},
		{"covering several", []span{{1, 2}, {4, 5}, {7, 8}, {20, 21}}, span{0, 10}, []span{{0, 10}, {20, 21}}},
		{"overlapping from below", []span{{0, 5}}, span{3, 8}, []span{{0, 8}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := addSpan(slices.Clone(tt.spans), tt.add); !slices.Equal(got, tt.want) {
				t.Errorf("addSpan(%v, %v) = %v, want %v", tt.spans, tt.add, got, tt.want)
			}
		})
	}
}
