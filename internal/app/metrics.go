package app

import (
	"sync"

	"xinqiao/internal/groupcommit"

	"github.com/prometheus/client_golang/prometheus"
)

// appendStatser is a store whose appends go through group commit (both
// engines).
type appendStatser interface {
	AppendStats() groupcommit.Stats
}

// appendMetrics exports the group commit of appends of the stores the nodes
// of this process were built on (one in production, several in tests), so
// that a scrape shows how many appends each commit carries and how many
// wait.
var appendMetrics = &appendCollector{stores: map[*App]appendStatser{}}

var (
	appendBatchesDesc = prometheus.NewDesc("xinqiao_store_append_batches_total",
		"Transactions the store's group commit wrote (or tried) for message appends; a lone append counts as one.", nil, nil)
	appendRowsDesc = prometheus.NewDesc("xinqiao_store_append_rows_total",
		"Message appends those transactions carried (rows / batches is the appends per commit).", nil, nil)
	appendPendingDesc = prometheus.NewDesc("xinqiao_store_append_pending",
		"Message appends waiting for a group commit or in one now.", nil, nil)
)

type appendCollector struct {
	once   sync.Once
	mu     sync.Mutex
	stores map[*App]appendStatser
}

// add counts a node's store from now on, registering the collector with the
// default registry (which /metrics serves) the first time.
func (c *appendCollector) add(a *App, s appendStatser) {
	c.once.Do(func() { prometheus.MustRegister(c) })
	c.mu.Lock()
	c.stores[a] = s
	c.mu.Unlock()
}

// remove stops counting a closed node's store.
func (c *appendCollector) remove(a *App) {
	c.mu.Lock()
	delete(c.stores, a)
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *appendCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- appendBatchesDesc
	ch <- appendRowsDesc
	ch <- appendPendingDesc
}

// Collect implements prometheus.Collector: the sums over the stores counted.
func (c *appendCollector) Collect(ch chan<- prometheus.Metric) {
	var sum groupcommit.Stats
	c.mu.Lock()
	for _, s := range c.stores {
		st := s.AppendStats()
		sum.Batches += st.Batches
		sum.Rows += st.Rows
		sum.Pending += st.Pending
	}
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(appendBatchesDesc, prometheus.CounterValue, float64(sum.Batches))
	ch <- prometheus.MustNewConstMetric(appendRowsDesc, prometheus.CounterValue, float64(sum.Rows))
	ch <- prometheus.MustNewConstMetric(appendPendingDesc, prometheus.GaugeValue, float64(sum.Pending))
}
