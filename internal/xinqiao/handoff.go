package xinqiao

// HandoffStore persists handoffs, escalation timers and case records.
// Its methods are defined with the handoff workflow.
type HandoffStore interface{}
