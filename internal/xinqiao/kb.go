package xinqiao

// KnowledgeStore persists knowledge documents, their versions and chunks.
// Its methods are defined with the knowledge base.
type KnowledgeStore interface{}
