// Package markov attributes conversions to channels with an absorbing Markov chain over
// customer paths and each channel's removal effect, as ChannelAttribution's
// markov_model does, of order 1 to 4.
//
// The difference: ChannelAttribution estimates the removal effects by simulating
// random walks (and stops each walk after as many steps as the longest path in the
// data); this package computes them exactly by solving the chain's linear systems, so
// its results carry no simulation noise and do not depend on a seed. On the same data
// the two agree within ChannelAttribution's sampling error.
//
// The removal effect of channel c is 1 − P(conversion with c removed)/P(conversion),
// where removing c sends every state that contains c to (null). It equals the
// probability that a converting walk visits c, which is what ChannelAttribution counts.
// Conversions are then shared out in proportion to the removal effects. Values use the
// same rule with expected conversion value in place of conversion probability, each
// state converting with the mean value per conversion of the paths that end in it (the
// distribution ChannelAttribution samples from).
package markov

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/srgplatform/srg/modules/attribution/paths"
)

// MaxOrder is the highest chain order supported: states are tuples of up to this many
// channels.
const MaxOrder = 4

// Options configures Attribute.
type Options struct {
	// Order is the number of past channels a state remembers, 1 to MaxOrder; 0 means 1.
	Order int
}

// Result is a Markov attribution.
type Result struct {
	// Attribution holds the conversions and value credited to each channel.
	paths.Attribution
	// RemovalEffects is, per channel, 1 − P(conversion without it)/P(conversion).
	RemovalEffects []float64
	// ValueRemovalEffects is the same for expected conversion value; nil without values.
	ValueRemovalEffects []float64
	// ConversionProbability is P(conversion) from (start) in the full chain.
	ConversionProbability float64
	// States is the number of transient states, (start) included.
	States int
	// Sweeps is the largest number of Gauss-Seidel sweeps any solve needed.
	Sweeps int
}

// Attribute builds the chain of order opts.Order from s and credits every channel.
func Attribute(s *paths.Set, opts Options) (*Result, error) {
	order := opts.Order
	if order == 0 {
		order = 1
	}
	if order < 1 || order > MaxOrder {
		return nil, fmt.Errorf("markov: order %d is outside 1..%d", order, MaxOrder)
	}
	c, err := buildChain(s, order)
	if err != nil {
		return nil, err
	}
	ns, nc := len(c.conv), len(s.Channels)
	res := &Result{Attribution: paths.NewAttribution(s), RemovalEffects: make([]float64, nc), States: ns}
	if s.HasValue {
		res.ValueRemovalEffects = make([]float64, nc)
	}
	u, w := make([]float64, ns), make([]float64, ns)
	if res.Sweeps, err = c.solve(u, w, nil); err != nil {
		return nil, err
	}
	pConv, eValue := u[0], w[0]
	res.ConversionProbability = pConv
	if pConv == 0 {
		return res, nil
	}

	// One solve per channel, independent of each other: spread them over the CPUs.
	// Each result lands in its own slot, so the outcome does not depend on scheduling.
	sweeps := make([]int, nc)
	errs := make([]error, nc)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nc) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uk, wk := make([]float64, ns), make([]float64, ns)
			removed := make([]bool, ns)
			for ch := range next {
				for _, st := range c.channelStates[ch] {
					removed[st] = true
				}
				copy(uk, u)
				copy(wk, w)
				sweeps[ch], errs[ch] = c.solve(uk, wk, removed)
				for _, st := range c.channelStates[ch] {
					removed[st] = false
				}
				res.RemovalEffects[ch] = max(0, 1-uk[0]/pConv)
				if res.ValueRemovalEffects != nil && eValue > 0 {
					res.ValueRemovalEffects[ch] = max(0, 1-wk[0]/eValue)
				}
			}
		}()
	}
	for ch := range nc {
		if len(c.channelStates[ch]) > 0 {
			next <- ch
		}
	}
	close(next)
	wg.Wait()
	for ch := range nc {
		if errs[ch] != nil {
			return nil, fmt.Errorf("markov: removing %s: %w", s.Channels[ch], errs[ch])
		}
		res.Sweeps = max(res.Sweeps, sweeps[ch])
	}
	share(res.Conversions, res.RemovalEffects, s.TotalConversions())
	if res.Value != nil {
		share(res.Value, res.ValueRemovalEffects, s.TotalValue())
	}
	return res, nil
}

// share sets out[i] = total × effects[i]/Σ effects.
func share(out, effects []float64, total float64) {
	sum := 0.0
	for _, e := range effects {
		sum += e
	}
	if sum == 0 {
		return
	}
	for i, e := range effects {
		out[i] = total * e / sum
	}
}
