package tracking

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyedLimiter is a token bucket per key (client IP, site key). Idle buckets are
// dropped so memory stays bounded whatever the number of clients.
type keyedLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const (
	limiterIdle     = 5 * time.Minute
	limiterMaxKeys  = 200000
	limiterSweepGap = time.Minute
)

func newKeyedLimiter(perSecond float64, burst int) *keyedLimiter {
	return &keyedLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// enabled reports whether the limiter limits anything, so that callers can skip
// building the key.
func (k *keyedLimiter) enabled() bool { return k.limit > 0 }

// allow takes n tokens from key's bucket; a zero rate means no limit.
func (k *keyedLimiter) allow(key string, n int, now time.Time) bool {
	if k.limit <= 0 {
		return true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > limiterSweepGap || len(k.buckets) > limiterMaxKeys {
		for key, b := range k.buckets {
			if now.Sub(b.seen) > limiterIdle {
				delete(k.buckets, key)
			}
		}
		if len(k.buckets) > limiterMaxKeys {
			k.buckets = map[string]*bucket{}
		}
		k.swept = now
	}
	b, ok := k.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(k.limit, k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, n)
}
