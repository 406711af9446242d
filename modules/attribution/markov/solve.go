package markov

import (
	"errors"
	"math"
)

// maxSweeps bounds Gauss-Seidel; a chain whose paths end at all converges long before.
const maxSweeps = 100_000

// tolerance is the change per sweep, relative to the largest value, at which the
// solution is taken as exact: a few ulps of a float64.
const tolerance = 1e-15

var errNoConvergence = errors.New("markov: the linear system did not converge")

// solve computes, for every transient state s, u[s] = P(reaching conversion from s) and
// w[s] = the expected conversion value from s, with the states in removed sent to
// (null). It solves u = conv + P·u (and w = value + P·w) by Gauss-Seidel sweeps.
//
// Why Gauss-Seidel: I − P is a sparse M-matrix (P substochastic, every state reaches
// absorption), so the iteration converges from any start, needs no fill-in, and each
// sweep costs one pass over the transitions. Sweeping states from last to first
// follows the order in which paths introduced them, so on acyclic parts of the chain one
// sweep is already exact and only loops (A > B > A) need more. Starting from the
// solution with nothing removed, an upper bound, the iterates decrease monotonically,
// so a removal can never raise the conversion probability through rounding.
//
// u and w hold the start values on entry and the solution on return.
func (c *chain) solve(u, w []float64, removed []bool) (sweeps int, err error) {
	for s, r := range removed {
		if r {
			u[s], w[s] = 0, 0
		}
	}
	n := len(c.conv)
	for sweeps = 1; sweeps <= maxSweeps; sweeps++ {
		du, dw, maxU, maxW := 0.0, 0.0, 0.0, 0.0
		for s := n - 1; s >= 0; s-- {
			if removed != nil && removed[s] {
				continue
			}
			nu, nw := c.conv[s], c.value[s]
			for i := c.rowStart[s]; i < c.rowStart[s+1]; i++ {
				t, p := c.col[i], c.prob[i]
				nu += p * u[t]
				nw += p * w[t]
			}
			du = max(du, math.Abs(nu-u[s]))
			dw = max(dw, math.Abs(nw-w[s]))
			maxU, maxW = max(maxU, nu), max(maxW, nw)
			u[s], w[s] = nu, nw
		}
		if du <= tolerance*maxU && dw <= tolerance*maxW {
			return sweeps, nil
		}
	}
	return maxSweeps, errNoConvergence
}
