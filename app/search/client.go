// Package search is SRG's door to Elasticsearch: the connection (through olivere/elastic
// v7, which no module sees), the per-tenant indices and their versioned mappings.
package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/olivere/elastic/v7"

	"github.com/srgplatform/srg/app/config"
)

// ErrUnavailable means no Elasticsearch node answers.
var ErrUnavailable = errors.New("search: elasticsearch unavailable")

// Client holds the connection to the cluster. It is usable before the cluster is: while
// no node answers, calls fail with ErrUnavailable and a background loop keeps trying.
type Client struct {
	cfg    config.Elasticsearch
	urls   []string
	log    *slog.Logger
	prefix string

	mu sync.RWMutex
	es *elastic.Client

	stop    context.CancelFunc
	stopped chan struct{}

	hooksMu sync.Mutex
	created map[string][]func(tenant string) // by index kind
}

// New starts connecting to the nodes at urls. It returns at once; Wait blocks until the
// first connection.
func New(cfg config.Elasticsearch, urls []string, log *slog.Logger) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{cfg: cfg, urls: urls, log: log, prefix: cfg.IndexPrefix, stop: cancel, stopped: make(chan struct{})}
	go c.connectLoop(ctx)
	return c
}

func (c *Client) connectLoop(ctx context.Context) {
	defer close(c.stopped)
	delay := 500 * time.Millisecond
	for {
		es, err := c.dial()
		if err == nil {
			c.mu.Lock()
			c.es = es
			c.mu.Unlock()
			c.log.Info("elasticsearch connected", "nodes", len(c.urls))
			return
		}
		c.log.Warn("elasticsearch not reachable yet", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// transport is Go's default transport without response compression, keeping
// connections for the requests srg sends at once. Go asks for gzip by default,
// and Elasticsearch then deflates every response: for the multi-megabyte pages
// of a full read and the item lists of bulk answers that is a good share of a
// small node's CPU, spent to save bandwidth a node next door does not lack.
func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	t.MaxIdleConnsPerHost = 16
	return t
}

func (c *Client) dial() (*elastic.Client, error) {
	opts := []elastic.ClientOptionFunc{
		elastic.SetURL(c.urls...),
		elastic.SetSniff(false),
		elastic.SetHealthcheck(true),
		elastic.SetHealthcheckInterval(c.cfg.HealthcheckInterval),
		elastic.SetHealthcheckTimeoutStartup(5 * time.Second),
		elastic.SetHealthcheckTimeout(2 * time.Second),
		elastic.SetRetrier(boundedRetrier{backoff: elastic.NewExponentialBackoff(100*time.Millisecond, 5*time.Second), max: c.cfg.MaxRetries}),
		elastic.SetHttpClient(&http.Client{Timeout: 60 * time.Second, Transport: transport()}),
		elastic.SetErrorLog(slogAdapter{c.log}),
	}
	if c.cfg.Username != "" {
		opts = append(opts, elastic.SetBasicAuth(c.cfg.Username, c.cfg.Password))
	}
	return elastic.NewClient(opts...)
}

// Wait blocks until the first connection is made or ctx ends.
func (c *Client) Wait(ctx context.Context) error {
	select {
	case <-c.stopped:
		if _, err := c.client(); err != nil {
			return err
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
	}
}

// Close stops the connect loop and the client's health checks.
func (c *Client) Close() {
	c.stop()
	<-c.stopped
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.es != nil {
		c.es.Stop()
	}
}

func (c *Client) client() (*elastic.Client, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.es == nil {
		return nil, ErrUnavailable
	}
	return c.es, nil
}

// Ping asks the cluster for its health and fails unless it is yellow or green.
func (c *Client) Ping(ctx context.Context) error {
	es, err := c.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	h, err := es.ClusterHealth().Do(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if h.Status == "red" {
		return fmt.Errorf("%w: cluster status red", ErrUnavailable)
	}
	return nil
}

// boundedRetrier retries failed requests with exponential backoff, at most max times.
type boundedRetrier struct {
	backoff elastic.Backoff
	max     int
}

func (r boundedRetrier) Retry(_ context.Context, retry int, _ *http.Request, _ *http.Response, _ error) (time.Duration, bool, error) {
	if retry > r.max {
		return 0, false, nil
	}
	wait, ok := r.backoff.Next(retry)
	return wait, ok, nil
}

type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) {
	a.log.Warn(fmt.Sprintf(format, v...), "component", "elasticsearch")
}
