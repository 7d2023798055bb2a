package risk

import "io"

// SetTestHook installs a function called at the start of every Classify, so
// tests can force a panic. It returns a function that removes it.
func SetTestHook(f func(string)) func() {
	testHookClassify = f
	return func() { testHookClassify = nil }
}

// ReadCorpusCount reads one corpus file as the trainer does and returns how
// many rows it took.
func ReadCorpusCount(name string, r io.Reader) (int, error) {
	rows, err := readCorpus(name, r)
	return len(rows), err
}
