package csvimport

import "github.com/srgplatform/srg/modules/sync/connector"

// piles hold the records read so far, one pile per kind.
type piles struct {
	accounts pile[connector.Account]
	contacts pile[connector.Contact]
	opps     pile[connector.Opportunity]
}

// maxChunk bounds a pile's chunks, in records.
const maxChunk = 4096

// pile collects records in chunks so that growing never copies what it holds, then
// joins them into one slice of the exact length. Appending to one slice would copy
// it at each growth and allocate about five times its final size in all; a pile
// allocates twice.
type pile[T any] struct {
	chunks [][]T
	n      int
}

func (p *pile[T]) add(v T) {
	last := len(p.chunks) - 1
	if last < 0 || len(p.chunks[last]) == cap(p.chunks[last]) {
		size := 64
		if last >= 0 {
			size = min(2*cap(p.chunks[last]), maxChunk)
		}
		p.chunks = append(p.chunks, make([]T, 0, size))
		last++
	}
	p.chunks[last] = append(p.chunks[last], v)
	p.n++
}

// join returns the records in order, nil when there are none, and empties the pile.
func (p *pile[T]) join() []T {
	if p.n == 0 {
		return nil
	}
	out := make([]T, 0, p.n)
	for i, c := range p.chunks {
		out = append(out, c...)
		// Let the collector reclaim chunks already copied.
		p.chunks[i] = nil
	}
	*p = pile[T]{}
	return out
}
