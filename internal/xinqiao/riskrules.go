package xinqiao

import (
	"context"
	"time"
)

// RiskRules is one published version of the district's own risk rules: rule
// text in the classifier's override format, compiled over the built-in
// rules and the rules folder on every node.
type RiskRules struct {
	Version    int       `json:"version"` // 1, 2, …; 0: nothing published yet
	Source     string    `json:"source,omitempty"`
	Note       string    `json:"note"`
	Author     string    `json:"author"` // staff id
	AuthorName string    `json:"author_name"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

// Limits of a district rule source.
const (
	MaxRiskRulesBytes = 64 << 10
	MaxRiskRulesNote  = 500
)

// RiskRuleStore keeps every published version of the district rules; the
// latest is in force.
type RiskRuleStore interface {
	// RiskRules returns the latest version with its source, or the zero
	// value (Version 0) when none has been published.
	RiskRules(ctx context.Context) (RiskRules, error)
	// RiskRuleVersion returns one version with its source (ENOTFOUND).
	RiskRuleVersion(ctx context.Context, version int) (RiskRules, error)
	// RiskRuleVersions lists versions newest first, without their source.
	RiskRuleVersions(ctx context.Context, limit int) ([]RiskRules, error)
	// PublishRiskRules stores r (Source, Note, Author) as version base+1.
	// It fails with ECONFLICT when the latest version is not base, so two
	// staff publishing at once never overwrite each other unseen.
	PublishRiskRules(ctx context.Context, base int, r RiskRules) (RiskRules, error)
}
