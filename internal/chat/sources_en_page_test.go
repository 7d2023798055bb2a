package chat_test

import (
	"strings"
	"testing"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"

	"github.com/chromedp/chromedp"
)

// TestStudentPageEnglishSources: an English question about exam nerves and
// sleep is answered from the English material on exam anxiety and sleep
// (not the document about shyness), and the sources line under it is
// written with English punctuation: "Sources: [1] Title (v1); [2] …".
func TestStudentPageEnglishSources(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	p.Do(t, chromedp.Navigate(s.URL+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")))
	typeMessage(t, p, "nervous before exams, can't sleep")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS(".msg.assistant .sources")))
	got := p.Text(t, ".msg.assistant .sources")
	if !strings.HasPrefix(got, "Sources: [1] ") || !strings.Contains(got, " (v1)") || strings.ContainsAny(got, "（）；：") {
		t.Errorf("sources line %q, want \"Sources: [1] Title (v1); …\" in English punctuation", got)
	}
	if !strings.Contains(got, "before exams") || strings.Contains(got, "Shy and nervous") {
		t.Errorf("sources line %q, want the exam-anxiety material and not the document about shyness", got)
	}
}
