package tracking

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/wal"
)

// ErrSpoolFull is returned when the spool holds its configured maximum: Elasticsearch
// has been behind for long enough that accepting more would risk the disk.
var ErrSpoolFull = errors.New("tracking: spool full")

// errSpoolClosed is returned by Append after Close.
var errSpoolClosed = errors.New("tracking: spool closed")

// Spool is the durable queue between the collect endpoint and the ingester: a
// write-ahead log (tidwall/wal) on local disk. Append returns only after its records
// are fsynced; concurrent appends share one fsync (group commit).
type Spool struct {
	log   *wal.Log
	opts  SpoolOptions
	bytes atomic.Int64 // approximate bytes held: written minus acknowledged

	writes chan *spoolWrite
	free   sync.Pool // of *spoolWrite, each with its channel
	done   chan struct{}
	closed atomic.Bool
	wg     sync.WaitGroup

	readMu sync.Mutex
	next   uint64 // next index to hand to the ingester
	// acked is the last index the ingester acknowledged; records up to it are
	// removed from the log lazily (see Ack). truncated is the first index the log
	// kept at the last removal, unpruned the bytes acknowledged since.
	acked     atomic.Uint64
	pruneMu   sync.Mutex
	truncated uint64
	unpruned  int64
}

type spoolWrite struct {
	records [][]byte
	size    int64
	err     chan error
}

// SpoolOptions configure a spool.
type SpoolOptions struct {
	// MaxBytes bounds the spool: Append fails with ErrSpoolFull beyond it.
	MaxBytes int64
	// SyncInterval is the least time between the starts of two writes (each with its
	// fsync): appends queued meanwhile share the next one. A virtual disk may stall
	// a flush for several milliseconds once it is asked for thousands a second (see
	// docs/ingest-benchmark.md); fewer, larger fsyncs avoid that. 0 writes as soon
	// as the last write ended.
	SyncInterval time.Duration
	// Observe, when not nil, is told how long each group's write and fsync took.
	Observe func(time.Duration)
	// wait pauses the writer until the sync interval has passed: time.Sleep, but
	// for tests that hold the writer while they queue appends.
	wait func(time.Duration)
}

// OpenSpool opens (or creates) the spool in dir. Records left by an earlier process,
// acknowledged to clients but not yet indexed, are handed out again first.
func OpenSpool(dir string, o SpoolOptions) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("tracking: spool dir: %w", err)
	}
	// The log keeps its open segment and a few read ones in memory: small segments
	// keep srg's footprint small while Elasticsearch is behind.
	l, err := wal.Open(dir, &wal.Options{AllowEmpty: true, SegmentSize: 4 << 20, SegmentCacheSize: 2})
	if err != nil {
		return nil, fmt.Errorf("tracking: open spool %s: %w", dir, err)
	}
	first, err := l.FirstIndex()
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("tracking: spool: %w", err)
	}
	if o.wait == nil {
		o.wait = time.Sleep
	}
	s := &Spool{log: l, opts: o, writes: make(chan *spoolWrite, 4096), done: make(chan struct{}), next: first, truncated: first}
	s.acked.Store(first - 1)
	s.bytes.Store(dirSize(dir))
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// Append writes records durably. It fails with ErrSpoolFull when the spool is at its
// limit, and never returns before the records are on disk.
func (s *Spool) Append(ctx context.Context, records [][]byte) error {
	if s.closed.Load() {
		return errSpoolClosed
	}
	var size int64
	for _, r := range records {
		size += int64(len(r)) + 8
	}
	if s.bytes.Load()+size > s.opts.MaxBytes {
		return ErrSpoolFull
	}
	w, _ := s.free.Get().(*spoolWrite)
	if w == nil {
		w = &spoolWrite{err: make(chan error, 1)}
	}
	w.records, w.size = append(w.records[:0], records...), size
	select {
	case s.writes <- w:
	case <-s.done:
		return errSpoolClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the write happens whatever the caller's context does: the caller
	// waits for the outcome so it never acknowledges what is not on disk. The writer
	// has copied the records and forgotten w when it answers.
	err := <-w.err
	clear(w.records)
	s.free.Put(w)
	return err
}

// writer drains queued appends into one batch per fsync.
func (s *Spool) writer() {
	defer s.wg.Done()
	var batch wal.Batch
	var group []*spoolWrite
	var lastWrite time.Time
	for {
		var w *spoolWrite
		select {
		case w = <-s.writes:
		case <-s.done:
			// Fail what is still queued: those callers have not been acknowledged.
			for {
				select {
				case w := <-s.writes:
					w.err <- errSpoolClosed
				default:
					return
				}
			}
		}
		if d := s.opts.SyncInterval - time.Since(lastWrite); d > 0 {
			s.opts.wait(d)
		}
		group = append(group[:0], w)
	more:
		for len(group) < 1024 {
			select {
			case w := <-s.writes:
				group = append(group, w)
			default:
				break more
			}
		}
		last, err := s.log.LastIndex()
		if err == nil {
			batch.Clear()
			var size int64
			for _, g := range group {
				for _, r := range g.records {
					last++
					batch.Write(last, r)
				}
				size += g.size
			}
			lastWrite = time.Now()
			if err = s.log.WriteBatch(&batch); err == nil {
				s.bytes.Add(size)
			}
			if s.opts.Observe != nil {
				s.opts.Observe(time.Since(lastWrite))
			}
		}
		for _, g := range group {
			g.err <- err
		}
	}
}

// Read returns up to max records not yet handed out, stopping once they hold maxBytes,
// and the index of the first. It returns no records when the spool is drained.
func (s *Spool) Read(max, maxBytes int) (first uint64, records [][]byte, err error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	last, err := s.log.LastIndex()
	if err != nil {
		return 0, nil, fmt.Errorf("tracking: spool: %w", err)
	}
	first = s.next
	size := 0
	for i := s.next; i <= last && len(records) < max && size < maxBytes; i++ {
		data, err := s.log.Read(i)
		if err != nil {
			return 0, nil, fmt.Errorf("tracking: spool read %d: %w", i, err)
		}
		records = append(records, data)
		size += len(data)
	}
	s.next += uint64(len(records))
	return first, records, nil
}

// pruneBytes is how much acknowledged data the log keeps before it is removed.
// Removing a prefix of the log rewrites the rest of its segment and fsyncs it under
// the log's lock, which the collect path's appends wait on: done per indexed batch,
// it cost more than the appends themselves. Acknowledged records still in the log
// are never handed out again by this process; after a crash they are indexed again,
// which is harmless (documents are created by event id).
const pruneBytes = 4 << 20

// Ack marks every record up to and including index upto as indexed. size is their
// total length, for the fullness accounting.
func (s *Spool) Ack(upto uint64, size int64) error {
	s.acked.Store(upto)
	s.bytes.Add(-size)
	if s.bytes.Load() < 0 {
		s.bytes.Store(0)
	}
	last, err := s.log.LastIndex()
	if err != nil {
		return fmt.Errorf("tracking: spool: %w", err)
	}
	s.pruneMu.Lock()
	defer s.pruneMu.Unlock()
	s.unpruned += size
	// An emptied log is cheap to truncate (nothing to rewrite).
	if s.unpruned < pruneBytes && upto < last {
		return nil
	}
	return s.prune()
}

// prune removes acknowledged records from the log; the caller holds pruneMu.
func (s *Spool) prune() error {
	upto := s.acked.Load()
	if upto < s.truncated {
		return nil
	}
	if err := s.log.TruncateFront(upto + 1); err != nil {
		return fmt.Errorf("tracking: spool truncate: %w", err)
	}
	s.truncated, s.unpruned = upto+1, 0
	return nil
}

// Rewind hands out again every record not yet acknowledged, after a failed indexing.
func (s *Spool) Rewind() error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	s.next = s.acked.Load() + 1
	return nil
}

// Len is the number of records held (handed out or not) and their approximate bytes.
func (s *Spool) Len() (records uint64, bytes int64) {
	first := s.acked.Load() + 1
	last, err := s.log.LastIndex()
	if err != nil || last < first {
		return 0, s.bytes.Load()
	}
	return last - first + 1, s.bytes.Load()
}

// Close stops accepting appends, waits for the writer and closes the log.
func (s *Spool) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	s.wg.Wait()
	s.pruneMu.Lock()
	err := s.prune()
	s.pruneMu.Unlock()
	if cerr := s.log.Close(); err == nil {
		err = cerr
	}
	return err
}
