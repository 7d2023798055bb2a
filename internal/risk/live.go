package risk

import "sync/atomic"

// Live holds the classifier in force on a node. A new rule version replaces
// it as a whole, so a message is read by one rule set from start to end:
// take Current once per message and use that classifier for the message and
// its conversation state.
type Live struct{ p atomic.Pointer[Classifier] }

// NewLive returns a Live holding c, which must not be nil.
func NewLive(c *Classifier) *Live {
	l := &Live{}
	l.p.Store(c)
	return l
}

// Current returns the classifier in force.
func (l *Live) Current() *Classifier { return l.p.Load() }

// Replace puts c in force for every later Current.
func (l *Live) Replace(c *Classifier) { l.p.Store(c) }
