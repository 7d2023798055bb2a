package xinqiao

import "context"

// Embedder turns texts into vectors for retrieval. Two implementations: a
// local one that runs offline and an OpenAI-compatible one. Every stored
// chunk records the Name and Dim of the embedder that produced its vector, so
// a change of model is detected and the chunks re-embedded.
type Embedder interface {
	// Name identifies the model, e.g. "local-ngram-v1" or "openai:bge-m3".
	Name() string
	// Dim is the length of every vector Embed returns.
	Dim() int
	// Embed returns one unit-length vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}
