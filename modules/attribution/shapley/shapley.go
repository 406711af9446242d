// Package shapley attributes conversions to channels with the Shapley value of a
// coalition game over channel sets.
//
// The game is the one the attribution literature calls the simplified Shapley value
// (Zhao et al., "Shapley Value Methods for Attribution Modeling in Online Advertising",
// 2018, and the Shapley model of the ChannelAttribution family): a coalition S of
// channels is worth the conversions (or value) of all paths whose set of channels is a
// subset of S. Order and repetition inside a path do not matter, and paths that did
// not convert add nothing. Because this game is a sum of unanimity games, a channel's
// value also equals the sum, over the converting paths that contain it, of the path's
// conversions divided by its number of distinct channels; the tests use that as the
// oracle.
//
// Up to ExactMaxChannels channels the value is exact: v is computed for all 2^n
// coalitions with a subset-sum (zeta) transform and the Shapley sum evaluated directly,
// O(2^n·n). Beyond that, channel orders are sampled (seeded) and each channel's mean
// marginal contribution is reported with its standard error.
package shapley

import (
	"errors"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/srgplatform/srg/modules/attribution/paths"
)

// ExactMaxChannels is the largest channel count computed exactly by default
// (2^15 coalitions).
const ExactMaxChannels = 15

// maxExact bounds Options.ExactMaxChannels: 2^24 coalitions is 128 MB per vector.
const maxExact = 24

// Options configures Attribute.
type Options struct {
	// ExactMaxChannels overrides ExactMaxChannels (at most 24).
	ExactMaxChannels int
	// Samples is the number of sampled channel orders beyond the exact limit;
	// default 200.
	Samples int
	// Seed seeds the sampling, so a run can be repeated exactly.
	Seed uint64
}

// Result is a Shapley attribution.
type Result struct {
	// Attribution holds the conversions and value credited to each channel; they sum
	// to the totals exactly, sampled or not.
	paths.Attribution
	// Exact says whether every coalition was evaluated.
	Exact bool
	// StdErr is the standard error of each sampled credit; nil when Exact.
	StdErr paths.Attribution
	// Samples is the number of sampled orders; 0 when Exact.
	Samples int
}

// coalition is a distinct channel set with the conversions and value of its paths.
type coalition struct {
	channels    []int32 // sorted, distinct
	conv, value float64
}

// Attribute computes the Shapley value of every channel of s.
func Attribute(s *paths.Set, opts Options) (*Result, error) {
	limit := opts.ExactMaxChannels
	if limit == 0 {
		limit = ExactMaxChannels
	}
	if limit < 0 || limit > maxExact {
		return nil, errors.New("shapley: ExactMaxChannels must be between 1 and 24")
	}
	res := &Result{Attribution: paths.NewAttribution(s)}
	n := len(s.Channels)
	if n <= limit {
		res.Exact = true
		exact(s, res.Attribution)
		return res, nil
	}
	samples := opts.Samples
	if samples == 0 {
		samples = 200
	}
	if samples < 2 {
		return nil, errors.New("shapley: need at least 2 samples to state an error")
	}
	res.Samples = samples
	res.StdErr = paths.NewAttribution(s)
	sample(coalitions(s), n, samples, opts.Seed, res)
	return res, nil
}

// exact evaluates the Shapley formula over all 2^n coalitions.
func exact(s *paths.Set, out paths.Attribution) {
	n := len(s.Channels)
	size := 1 << n
	conv := make([]float64, size)
	var value []float64
	if out.Value != nil {
		value = make([]float64, size)
	}
	for i := range s.Paths {
		p := &s.Paths[i]
		var mask int
		for _, ch := range p.Touches {
			mask |= 1 << ch
		}
		conv[mask] += p.Conversions
		if value != nil {
			value[mask] += p.Value
		}
	}
	zeta(conv, n)
	shapley(conv, n, out.Conversions)
	if value != nil {
		zeta(value, n)
		shapley(value, n, out.Value)
	}
}

// zeta turns f(S) = worth of paths with channel set exactly S into v(S) = Σ_{T⊆S} f(T).
func zeta(f []float64, n int) {
	for i := range n {
		bit := 1 << i
		for mask := range f {
			if mask&bit != 0 {
				f[mask] += f[mask^bit]
			}
		}
	}
}

// shapley sets out[i] = Σ_{S ∌ i} |S|!(n−|S|−1)!/n! · (v(S ∪ {i}) − v(S)).
func shapley(v []float64, n int, out []float64) {
	weight := make([]float64, n)
	weight[0] = 1 / float64(n)
	for k := 1; k < n; k++ {
		weight[k] = weight[k-1] * float64(k) / float64(n-k)
	}
	for i := range n {
		bit := 1 << i
		sum := 0.0
		for mask := range v {
			if mask&bit == 0 {
				sum += weight[bits.OnesCount(uint(mask))] * (v[mask|bit] - v[mask])
			}
		}
		out[i] = sum
	}
}

// coalitions merges paths with the same channel set.
func coalitions(s *paths.Set) []coalition {
	idx := map[string]int{}
	var out []coalition
	var set []int32
	var key []byte
	for i := range s.Paths {
		p := &s.Paths[i]
		if p.Conversions == 0 && p.Value == 0 {
			continue // worth nothing in any coalition
		}
		set = append(set[:0], p.Touches...)
		slices.Sort(set)
		set = slices.Compact(set)
		key = key[:0]
		for _, ch := range set {
			key = append(key, byte(ch), byte(ch>>8), byte(ch>>16), byte(ch>>24))
		}
		j, ok := idx[string(key)]
		if !ok {
			j = len(out)
			idx[string(key)] = j
			out = append(out, coalition{channels: slices.Clone(set)})
		}
		out[j].conv += p.Conversions
		out[j].value += p.Value
	}
	return out
}

// flatCoalitions holds coalitions back to back, so that the sampling loop, which
// visits all of them once per order, reads memory in sequence.
type flatCoalitions struct {
	channels    []int32
	end         []int32 // coalition i is channels[end[i-1]:end[i]]
	conv, value []float64
}

// chunk is the number of sampled orders drawn from one random stream: chunks run in
// parallel and are summed in order, so results depend on the seed alone.
const chunk = 64

// sample estimates Shapley values from random channel orders. In one order a channel's
// marginal contribution is the worth of the coalitions it completes, those whose
// channels all precede it, so each coalition goes to its channel that comes last.
// Every order hands out exactly the total, so the estimates sum to it too. A
// single-channel coalition always goes to its channel and is added outside the loop.
func sample(cs []coalition, n, samples int, seed uint64, res *Result) {
	base := make([]float64, 2*n)
	var multi flatCoalitions
	for _, c := range cs {
		if len(c.channels) == 1 {
			base[c.channels[0]] += c.conv
			base[n+int(c.channels[0])] += c.value
			continue
		}
		multi.channels = append(multi.channels, c.channels...)
		multi.end = append(multi.end, int32(len(multi.channels)))
		multi.conv = append(multi.conv, c.conv)
		multi.value = append(multi.value, c.value)
	}
	nchunks := (samples + chunk - 1) / chunk
	sums := make([][]float64, nchunks) // per chunk: Σ and Σ² of conv, then of value
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nchunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				m := min(chunk, samples-k*chunk)
				sums[k] = sampleChunk(&multi, base, n, m, rand.New(rand.NewPCG(seed, uint64(k))))
			}
		}()
	}
	for k := range nchunks {
		next <- k
	}
	close(next)
	wg.Wait()
	total := make([]float64, 4*n)
	for _, s := range sums {
		for i, x := range s {
			total[i] += x
		}
	}
	m := float64(samples)
	for i := range n {
		res.Conversions[i] = total[i] / m
		res.StdErr.Conversions[i] = stdErr(total[i], total[n+i], m)
		if res.Value != nil {
			res.Value[i] = total[2*n+i] / m
			res.StdErr.Value[i] = stdErr(total[2*n+i], total[3*n+i], m)
		}
	}
}

// sampleChunk draws m orders and returns Σ and Σ² of each channel's marginal
// conversions, then the same for value.
func sampleChunk(cs *flatCoalitions, base []float64, n, m int, rng *rand.Rand) []float64 {
	out := make([]float64, 4*n)
	rank := make([]int32, n)
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	marg := make([]float64, 2*n)
	for range m {
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for pos, ch := range perm {
			rank[ch] = int32(pos)
		}
		copy(marg, base)
		start := int32(0)
		for i, end := range cs.end {
			last, lastRank := cs.channels[start], rank[cs.channels[start]]
			for _, ch := range cs.channels[start+1 : end] {
				if r := rank[ch]; r > lastRank {
					last, lastRank = ch, r
				}
			}
			start = end
			marg[last] += cs.conv[i]
			marg[n+int(last)] += cs.value[i]
		}
		for i := range n {
			c, v := marg[i], marg[n+i]
			out[i] += c
			out[n+i] += c * c
			out[2*n+i] += v
			out[3*n+i] += v * v
		}
	}
	return out
}

// stdErr is the standard error of a mean from the sum and sum of squares of m samples.
func stdErr(sum, sq, m float64) float64 {
	variance := (sq - sum*sum/m) / (m - 1)
	return math.Sqrt(max(0, variance) / m)
}
