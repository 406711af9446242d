package markov

import (
	"cmp"
	"errors"
	"slices"

	"github.com/srgplatform/srg/modules/attribution/paths"
)

// chain is the absorbing Markov chain of a path set. Transient states are numbered
// from 0, which is (start); (conversion) and (null) are not stored as states: a row's
// probability of moving to (conversion) is conv, to (null) whatever its row lacks.
type chain struct {
	// rows in compressed sparse row form: the transitions of state s are
	// col[rowStart[s]:rowStart[s+1]] with probabilities prob[...].
	rowStart []int32
	col      []int32
	prob     []float64
	conv     []float64 // P(s → conversion)
	value    []float64 // P(s → conversion) × mean value of a conversion from s
	// channelStates lists, per channel, the states whose tuple contains it: removing the
	// channel sends those states to (null).
	channelStates [][]int32
}

// maxTupleChannels bounds channel ids so that a tuple of up to four fits in a uint64.
const maxTupleChannels = 1<<16 - 1

// stateKey packs a tuple of up to four channel ids (each +1, so 0 means "none").
func stateKey(tuple []int32) uint64 {
	var k uint64
	for _, c := range tuple {
		k = k<<16 | uint64(c+1)
	}
	return k
}

type edge struct {
	from, to int32
	w        float64
}

// buildChain turns paths into states of the last order channels, following
// ChannelAttribution's markov_model: a path shorter than order is one state; a state
// equal to the one before it (A > A at order 1) is dropped, so a channel does not loop
// on itself; transitions are weighted by the path's conversions plus nulls.
func buildChain(s *paths.Set, order int) (*chain, error) {
	if order > 1 && len(s.Channels) > maxTupleChannels {
		return nil, errors.New("markov: too many channels for a higher-order chain")
	}
	stateID := map[uint64]int32{0: 0} // key 0 is (start)
	tuples := [][]int32{nil}
	edgeID := map[uint64]int32{}
	var edges []edge
	var convEnd, valueEnd, nullEnd []float64
	grow := func() {
		convEnd = append(convEnd, 0)
		valueEnd = append(valueEnd, 0)
		nullEnd = append(nullEnd, 0)
	}
	grow()
	for i := range s.Paths {
		p := &s.Paths[i]
		w := p.Conversions + p.Null
		if w == 0 {
			continue // ChannelAttribution ignores paths with neither conversions nor nulls
		}
		n := min(order, len(p.Touches))
		prev := int32(0)
		for j := 0; j+n <= len(p.Touches); j++ {
			tuple := p.Touches[j : j+n]
			key := stateKey(tuple)
			id, ok := stateID[key]
			if !ok {
				id = int32(len(tuples))
				stateID[key] = id
				tuples = append(tuples, tuple)
				grow()
			}
			if id == prev {
				continue
			}
			ek := uint64(prev)<<32 | uint64(id)
			e, ok := edgeID[ek]
			if !ok {
				e = int32(len(edges))
				edgeID[ek] = e
				edges = append(edges, edge{from: prev, to: id})
			}
			edges[e].w += w
			prev = id
		}
		convEnd[prev] += p.Conversions
		valueEnd[prev] += p.Value
		nullEnd[prev] += p.Null
	}
	slices.SortFunc(edges, func(a, b edge) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	ns := len(tuples)
	c := &chain{
		rowStart: make([]int32, ns+1),
		col:      make([]int32, len(edges)),
		prob:     make([]float64, len(edges)),
		conv:     make([]float64, ns),
		value:    make([]float64, ns),
	}
	out := make([]float64, ns)
	for _, e := range edges {
		c.rowStart[e.from+1]++
		out[e.from] += e.w
	}
	for st := range ns {
		c.rowStart[st+1] += c.rowStart[st]
		total := out[st] + convEnd[st] + nullEnd[st]
		if total > 0 {
			c.conv[st] = convEnd[st] / total
			c.value[st] = valueEnd[st] / total
		}
		out[st] = total
	}
	for i, e := range edges {
		c.col[i] = e.to
		c.prob[i] = e.w / out[e.from]
	}
	c.channelStates = make([][]int32, len(s.Channels))
	for st, tuple := range tuples {
		for j, ch := range tuple {
			if !slices.Contains(tuple[:j], ch) {
				c.channelStates[ch] = append(c.channelStates[ch], int32(st))
			}
		}
	}
	return c, nil
}
