package paths

// Attribution is what a model credits to each channel; both slices are indexed by
// channel id (Set.Channels). Value is nil when the set has no value column.
type Attribution struct {
	Conversions []float64
	Value       []float64
}

// NewAttribution returns a zeroed Attribution for s's channels.
func NewAttribution(s *Set) Attribution {
	a := Attribution{Conversions: make([]float64, len(s.Channels))}
	if s.HasValue {
		a.Value = make([]float64, len(s.Channels))
	}
	return a
}

func (a Attribution) add(ch int32, p *Path, share float64) {
	a.Conversions[ch] += p.Conversions * share
	if a.Value != nil {
		a.Value[ch] += p.Value * share
	}
}

// FirstTouch credits each path's conversions and value to its first channel, as
// ChannelAttribution's heuristic_models does.
func FirstTouch(s *Set) Attribution {
	a := NewAttribution(s)
	for i := range s.Paths {
		p := &s.Paths[i]
		a.add(p.Touches[0], p, 1)
	}
	return a
}

// LastTouch credits each path's conversions and value to its last channel.
func LastTouch(s *Set) Attribution {
	a := NewAttribution(s)
	for i := range s.Paths {
		p := &s.Paths[i]
		a.add(p.Touches[len(p.Touches)-1], p, 1)
	}
	return a
}

// LinearTouch splits each path's conversions and value equally over its touches.
// Following ChannelAttribution, the share is per occurrence: in A > B > A, A gets 2/3
// and B 1/3, not 1/2 each.
func LinearTouch(s *Set) Attribution {
	a := NewAttribution(s)
	for i := range s.Paths {
		p := &s.Paths[i]
		share := 1 / float64(len(p.Touches))
		for _, ch := range p.Touches {
			a.add(ch, p, share)
		}
	}
	return a
}
