package xinqiao

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a random identifier of 26 lowercase base32 characters (128 bits),
// used for conversations, handoffs, cases and documents created at run time.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return lower(idEncoding.EncodeToString(b[:]))
}

// NewToken returns a random bearer secret of 256 bits, URL-safe. Only its hash
// (HashToken) is ever stored.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return lower(idEncoding.EncodeToString(b[:]))
}

// HashToken returns the hex SHA-256 of a bearer token: what the stores keep, so
// a leaked database does not leak live sessions.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
