package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
)

// decodeFunc decodes one document into rows; each worker has its own decoder.
type decodeFunc func(raw []byte, s rowSink) error

// docPipeline decodes a source's documents on workers while the source reads on,
// and hands the batches to fn in the order they were read. Decoding is most of a
// file export's work: one reader and one writer would leave a core idle. The
// source adds documents to the current job (copied: they are valid during the
// read's callback only), sets its batch's mark and deletes, and submits it.
type docPipeline struct {
	// ctx is cancelled when decoding or fn fails: the source reads with it.
	ctx    context.Context
	cancel context.CancelFunc
	job    *docJob
	free   chan *docJob
	work   chan *docJob
	queue  chan *docJob
	// markID sets each batch's mark id to its last row's first column.
	markID bool
	wg     sync.WaitGroup
	done   chan error
	// inline, without workers, decodes each document as it is added, into rows,
	// and submit hands the batch on at once.
	inline decodeFunc
	rows   batchRows
	fn     func(*Batch) error
}

// docJob is a batch's documents, one after another in docs, each ending at ends[i].
type docJob struct {
	docs  []byte
	ends  []int
	n     int
	batch *Batch
	err   error
	ready chan struct{}
}

// len is how many documents the job holds.
func (j *docJob) len() int { return j.n }

// decodeWorkers is how many document decoders a dataset's read runs besides the
// reader: two for file targets (encoding is cheap next to decoding), none for
// Postgres, whose load is the database's: the reader decodes as it reads.
func (s *scope) decodeWorkers() int {
	if s.values != nil {
		return 2
	}
	return 0
}

func startDecoding(ctx context.Context, s *scope, ds *Dataset, newDecoder func() decodeFunc, markID bool, fn func(*Batch) error) *docPipeline {
	workers := s.decodeWorkers()
	// Each worker has a job, and one waits to be emitted while the source fills one.
	jobs := workers + 2
	p := &docPipeline{free: make(chan *docJob, jobs), work: make(chan *docJob, jobs), queue: make(chan *docJob, jobs),
		markID: markID, done: make(chan error, 1)}
	p.ctx, p.cancel = context.WithCancel(ctx)
	if workers == 0 {
		p.inline, p.rows, p.fn, p.job = newDecoder(), s.rowsFor(ds), fn, &docJob{batch: &Batch{}}
		return p
	}
	for range jobs {
		p.free <- &docJob{ready: make(chan struct{}, 1)}
	}
	p.job = p.next()
	for range workers {
		p.wg.Add(1)
		go p.decode(newDecoder(), s.rowsFor(ds))
	}
	go p.emit(fn)
	return p
}

// next takes a free job, nil when the pipeline stopped.
func (p *docPipeline) next() *docJob {
	select {
	case j := <-p.free:
		j.docs, j.ends, j.n, j.err, j.batch = j.docs[:0], j.ends[:0], 0, nil, &Batch{}
		return j
	case <-p.ctx.Done():
		return nil
	}
}

// add copies a document into the current job, or decodes it inline.
func (p *docPipeline) add(raw json.RawMessage) error {
	p.job.n++
	if p.inline != nil {
		return p.inline(raw, p.rows)
	}
	p.job.docs = append(p.job.docs, raw...)
	p.job.ends = append(p.job.ends, len(p.job.docs))
	return nil
}

// submit hands the current job to the workers and starts the next.
func (p *docPipeline) submit() error {
	if p.inline != nil {
		b := p.job.batch
		p.finish(b, p.rows)
		p.job = &docJob{batch: &Batch{}}
		return p.fn(b)
	}
	select {
	case p.queue <- p.job:
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
	p.work <- p.job // never blocks: there are no more jobs than its room
	if p.job = p.next(); p.job == nil {
		return p.ctx.Err()
	}
	return nil
}

func (p *docPipeline) decode(dec decodeFunc, rows batchRows) {
	defer p.wg.Done()
	for j := range p.work {
		start := 0
		for _, end := range j.ends {
			if j.err = dec(j.docs[start:end], rows); j.err != nil {
				break
			}
			start = end
		}
		if j.err == nil {
			p.finish(j.batch, rows)
		}
		j.ready <- struct{}{}
	}
}

// finish moves the rows decoded into b.
func (p *docPipeline) finish(b *Batch, rows batchRows) {
	if p.markID && rows.len() > 0 {
		b.Mark.ID = rows.lastString(0)
	}
	rows.take(b)
}

// emit calls fn with the decoded batches in order, until the first error.
func (p *docPipeline) emit(fn func(*Batch) error) {
	var first error
	for j := range p.queue {
		<-j.ready
		if first == nil {
			if first = j.err; first == nil {
				first = fn(j.batch)
			}
			if first != nil {
				p.cancel()
			}
		}
		p.free <- j
	}
	p.done <- first
}

// close waits for the jobs submitted and returns the first error: readErr (the
// source's), a decoding error or fn's. An error that only follows another (the
// read's cancellation) is not the one returned.
func (p *docPipeline) close(readErr error) error {
	if p.inline != nil {
		p.cancel()
		return readErr
	}
	close(p.queue)
	close(p.work)
	p.wg.Wait()
	err := <-p.done
	p.cancel()
	if err != nil && (readErr == nil || errors.Is(readErr, context.Canceled)) {
		return err
	}
	return readErr
}
