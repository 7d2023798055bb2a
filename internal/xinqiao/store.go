package xinqiao

import "context"

// Store is everything the service keeps. Two engines implement it: the
// embedded SQLite default and PostgreSQL with pgvector; one conformance suite
// (internal/storetest) holds both to the same behaviour.
type Store interface {
	ConversationStore
	StaffStore
	AuditStore
	KnowledgeStore
	HandoffStore
	RetentionStore
	RiskRuleStore
	RiskLabelStore
	RiskModelStore
	FeedbackStore
	Broker

	// Engine names the engine: "sqlite" or "postgres".
	Engine() string
	// Ping checks the store is reachable and its schema is current.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Event is a live change, published after commit so that every node's hub can
// read the rows and deliver them. It carries ids only, never message text.
type Event struct {
	Kind           string `json:"k"` // e.g. "message", "handoff", "mode"
	ConversationID string `json:"c,omitempty"`
	Seq            int64  `json:"s,omitempty"`
	HandoffID      string `json:"h,omitempty"`
	// Origin names the node that published the event, so that node can skip
	// work it has already done locally (such as a crisis frame sent at once).
	Origin string `json:"o,omitempty"`
}

// Broker carries events between the nodes sharing one store: in process for
// SQLite, LISTEN/NOTIFY for PostgreSQL.
type Broker interface {
	// Publish sends an event to every subscriber on every node, this one included.
	Publish(ctx context.Context, e Event) error
	// Subscribe calls fn for every event until ctx ends. fn must not block.
	// After a reconnection to the store, Subscribe calls fn with an event of
	// Kind "resync" so subscribers can replay what they may have missed.
	Subscribe(ctx context.Context, fn func(Event))
}
