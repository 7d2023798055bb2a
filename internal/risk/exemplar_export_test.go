package risk

import "context"

// AssessExcluding is Assess with exemplar j left out of the vote (for
// leave-one-out checks on our own cases).
func (e *ExemplarOpinion) AssessExcluding(ctx context.Context, text string, j int) (Opinion, error) {
	return e.assess(ctx, text, nil, j)
}

// SetOptions changes the options of e (tests only; not safe while Assess runs).
func (e *ExemplarOpinion) SetOptions(o ExemplarOptions) { e.opts = o.withDefaults() }
