package enrich

import (
	"container/list"
	"strings"
	"sync"
)

// lru is a bounded least-recently-used cache of parsed user agents, safe for
// concurrent use. One mutex is enough: a hit holds it for a map lookup and a list move.
type lru struct {
	mu    sync.Mutex
	size  int
	order *list.List // of *lruEntry, most recent first
	items map[string]*list.Element
}

type lruEntry struct {
	key string
	d   Device
}

func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: make(map[string]*list.Element, size)}
}

func (c *lru) get(key string) (Device, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return Device{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).d, true
}

func (c *lru) add(key string, d Device) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		// Another goroutine parsed the same user agent meanwhile.
		e.Value.(*lruEntry).d = d
		c.order.MoveToFront(e)
		return
	}
	// The key may share memory with a larger request buffer; keep only its bytes.
	key = strings.Clone(key)
	c.items[key] = c.order.PushFront(&lruEntry{key, d})
	if c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruEntry).key)
	}
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
