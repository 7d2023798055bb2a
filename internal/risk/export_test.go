package risk

// SetTestHook installs a function called at the start of every Classify, so
// tests can force a panic. It returns a function that removes it.
func SetTestHook(f func(string)) func() {
	testHookClassify = f
	return func() { testHookClassify = nil }
}
