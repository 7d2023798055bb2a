// Package auth holds staff credentials and the small security helpers the
// web surface shares: password hashing, login throttling and token buckets.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (OWASP's minimum: 19 MiB, two passes, one lane). They
// are written into each hash, so raising them later keeps old hashes valid.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPasswordLen is the shortest staff password accepted.
const MinPasswordLen = 10

// ErrMismatch is returned when a password does not match its hash.
var ErrMismatch = errors.New("password does not match")

// CheckPasswordPolicy returns a message safe to show when a new password is
// too weak, or "" when it is acceptable: at least MinPasswordLen
// characters, and not guessable by the first things a guesser tries —
// repeats (aaaaaaaaaa), sequences and keyboard walks (1234567890,
// qwertyuiop, 1qaz2wsx3edc), digits alone, and a common word or name with
// digits or symbols around it (password123, woaini1314).
func CheckPasswordPolicy(pw string) string {
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fmt.Sprintf("password must be at least %d characters", MinPasswordLen)
	}
	if len(pw) > 1024 {
		return "password is too long"
	}
	if why := weakness(pw); why != "" {
		return "this password is too easy to guess (" + why + "); choose a longer phrase of your own"
	}
	return ""
}

//go:embed weak_passwords.txt
var weakList string

// weakWords is the set of weak passwords and stems of weak_passwords.txt.
var weakWords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(weakList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = true
		}
	}
	return m
}()

// walks are the sequences a guesser walks along, forwards or backwards:
// digits, the alphabet, keyboard rows and columns.
var walks = []string{
	"01234567890", "abcdefghijklmnopqrstuvwxyz",
	"qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertyuiopasdfghjklzxcvbnm",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp", "zaqxswcdevfrbgtnhymjukilop",
	"1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0", "qweasdzxc", "qaswedfrtghyujkiolp",
}

// weakness names what makes pw easy to guess, or returns "".
func weakness(pw string) string {
	l := strings.ToLower(pw)
	switch {
	case distinct(l) < 4:
		return "too few different characters"
	case repeatUnit(l) <= 4:
		return "a short pattern repeated"
	case isWalk(l):
		return "a sequence or keyboard walk"
	case strings.Trim(l, "0123456789") == "":
		return "digits only"
	case weakWords[l] || weakWords[unleet(l)]:
		return "a common password"
	}
	isLetter := func(r rune) bool { return unicode.IsLetter(r) }
	start, end := strings.IndexFunc(l, isLetter), strings.LastIndexFunc(l, isLetter)
	if start < 0 {
		return "no letters among digits and symbols"
	}
	_, size := utf8.DecodeRuneInString(l[end:])
	core, affix := l[start:end+size], l[:start]+l[end+size:]
	if weakWords[core] || weakWords[unleet(core)] {
		return "a common word with digits or symbols added"
	}
	if trivial(core) && trivial(affix) {
		return "a sequence with digits or symbols added"
	}
	return ""
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// repeatUnit returns the length of the shortest unit s repeats (the whole
// length when it repeats nothing).
func repeatUnit(s string) int {
	rs := []rune(s)
	for n := 1; n < len(rs); n++ {
		if len(rs)%n != 0 {
			continue
		}
		ok := true
		for i := n; i < len(rs) && ok; i++ {
			ok = rs[i] == rs[i-n]
		}
		if ok {
			return n
		}
	}
	return len(rs)
}

// isWalk reports whether s (three characters or more) lies along one of
// the walks, forwards or backwards.
func isWalk(s string) bool {
	if utf8.RuneCountInString(s) < 3 {
		return false
	}
	for _, w := range walks {
		if strings.Contains(w, s) || strings.Contains(reverse(w), s) {
			return true
		}
	}
	return false
}

// trivial reports whether s is empty, a short repeat or a walk.
func trivial(s string) bool { return s == "" || repeatUnit(s) <= 2 || isWalk(s) }

func reverse(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}

// unleet undoes the usual letter-for-digit swaps (p@ssw0rd → password).
func unleet(s string) string {
	return strings.NewReplacer("@", "a", "0", "o", "1", "i", "3", "e", "$", "s", "5", "s", "!", "i").Replace(s)
}

// HashPassword returns an encoded argon2id hash of pw with a random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword checks pw against an encoded hash in constant time.
func VerifyPassword(encoded, pw string) error {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("unknown password hash format")
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return errors.New("malformed argon2 parameters")
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return errors.New("malformed salt")
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return errors.New("malformed hash")
	}
	got := argon2.IDKey([]byte(pw), salt, iters, mem, threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// GeneratePassword returns a random password of 16 characters from an
// alphabet without look-alike characters, for the first admin account.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	const limit = 256 - 256%len(alphabet) // reject bytes that would bias the choice
	out := make([]byte, 0, 16)
	var b [1]byte
	for len(out) < 16 {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			out = append(out, alphabet[int(b[0])%len(alphabet)])
		}
	}
	return string(out)
}
