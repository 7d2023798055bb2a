package risk

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// PanicsTotal counts classifications that panicked and fell back to the safe
// default (High, crisis). It is registered on the default Prometheus registry
// as xinqiao_risk_classifier_panics_total.
var PanicsTotal = promauto.NewCounter(prometheus.CounterOpts{
	Name: "xinqiao_risk_classifier_panics_total",
	Help: "Risk classifications that panicked and were treated as high risk.",
})
