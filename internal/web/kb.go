package web

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"xinqiao/internal/kb"
	"xinqiao/internal/xinqiao"
)

// KnowledgeModule adds the curator's knowledge routes: the workflow
// (documents, versions, diffs, submit, approve, retire), the hit test, the
// chunk preview, the gap report, and the /curator page. Every route needs
// the curator role (admins pass).
func KnowledgeModule(searcher *kb.Searcher, emb xinqiao.Embedder) Module {
	return func(s *Server) {
		h := &kbHandlers{s: s, search: searcher, svc: kb.NewService(s.Store, emb, func() time.Time { return s.Now() })}
		h.svc.UpdateIndex(searcher.Index())
		cur := func(fn func(w http.ResponseWriter, r *http.Request, st xinqiao.Staff)) http.Handler {
			return s.Staff(xinqiao.RoleCurator, fn)
		}
		s.Page("GET /curator", "curator.html")
		s.Handle("GET /api/kb/documents", cur(h.list))
		s.Handle("POST /api/kb/documents", cur(h.create))
		s.Handle("GET /api/kb/documents/{id}", cur(h.document))
		s.Handle("POST /api/kb/documents/{id}/{action}", cur(h.transition))
		s.Handle("POST /api/kb/preview", cur(h.preview))
		s.Handle("POST /api/kb/search", cur(h.hitTest))
		s.Handle("GET /api/kb/gaps", cur(h.gaps))
		s.Handle("GET /api/kb/feedback", cur(h.feedback))
	}
}

type kbHandlers struct {
	s      *Server
	search *kb.Searcher
	svc    *kb.Service
}

// kbDocument is a document in the listing, with the review flag and, when
// the listing was searched, the words around the first match.
type kbDocument struct {
	xinqiao.Document
	Due   bool   `json:"due_for_review"`
	Match string `json:"match,omitempty"`
}

// maxDocQuery bounds the text a curator searches the documents for.
const maxDocQuery = 100

// list lists the documents, narrowed by the query's filters: lang, kind,
// state (of the newest version), topic, band (in the audience), due=1
// (current version due for review) and q, words every one of which is in
// the id, title or topics, or the text of the newest or the current
// version (case folded). A search reads the texts of the documents the
// other filters leave, one or two versions each: the knowledge base is
// hundreds of documents, not millions. topics lists every topic of every
// document, for the page's topic filter.
func (h *kbHandlers) list(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	q := r.URL.Query()
	words := strings.Fields(strings.ToLower(q.Get("q")))
	topic, band, due := strings.TrimSpace(q.Get("topic")), q.Get("band"), q.Get("due")
	switch {
	case utf8.RuneCountInString(q.Get("q")) > maxDocQuery:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "the search is longer than %d characters", maxDocQuery))
		return
	case band != "" && band != xinqiao.BandPrimary && band != xinqiao.BandJunior && band != xinqiao.BandSenior:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "band must be primary, junior, senior or empty (all)"))
		return
	case due != "" && due != "1" && due != "0":
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "due must be 1 (only documents due for review) or empty"))
		return
	case len(topic) > 64:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "topic is too long"))
		return
	}
	docs, err := h.s.Store.Documents(r.Context(), xinqiao.DocumentFilter{Lang: q.Get("lang"), Kind: q.Get("kind"), State: q.Get("state")})
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	now := h.s.Now()
	out := make([]kbDocument, 0, len(docs))
	topics := map[string]bool{}
	for _, d := range docs {
		for _, t := range d.Topics {
			topics[t] = true
		}
		if topic != "" && !slices.Contains(d.Topics, topic) ||
			band != "" && !slices.Contains(d.Audience, band) ||
			due == "1" && !d.DueForReview(now) {
			continue
		}
		kd := kbDocument{Document: d, Due: d.DueForReview(now)}
		if len(words) > 0 {
			ok, match, err := h.docMatches(r, d, words)
			if err != nil {
				h.s.Error(w, r, err)
				return
			}
			if !ok {
				continue
			}
			kd.Match = match
		}
		out = append(out, kd)
	}
	all := slices.Sorted(maps.Keys(topics))
	h.s.JSON(w, http.StatusOK, map[string]any{"documents": out, "topics": all})
}

// docMatches reports whether every word is in d's id, title or topics or
// the text of its newest or current version, and returns about 40
// characters around the first word found in a text.
func (h *kbHandlers) docMatches(r *http.Request, d xinqiao.Document, words []string) (bool, string, error) {
	fields := []string{strings.ToLower(d.ID + " " + d.Title + " " + strings.Join(d.Topics, " "))}
	var texts []string
	for _, n := range []int{d.Latest, d.Current} {
		if n == 0 || n == d.Latest && len(texts) > 0 {
			continue
		}
		v, err := h.s.Store.Version(r.Context(), d.ID, n)
		if err != nil {
			return false, "", err
		}
		texts = append(texts, v.Body)
		fields = append(fields, strings.ToLower(v.Body))
	}
	all := strings.Join(fields, "\n")
	for _, w := range words {
		if !strings.Contains(all, w) {
			return false, "", nil
		}
	}
	for _, t := range texts {
		if s := around(t, words[0], 20); s != "" {
			return true, s, nil
		}
	}
	return true, "", nil
}

// around returns the line of text around the first case-folded occurrence
// of word, with up to n characters either side, or "".
func around(text, word string, n int) string {
	rs := []rune(text)
	low := []rune(strings.ToLower(text))
	wr := []rune(word)
	if len(low) != len(rs) { // a case fold changed the length: match the words only
		return ""
	}
	for i := 0; i+len(wr) <= len(low); i++ {
		if string(low[i:i+len(wr)]) != word {
			continue
		}
		from, to := max(0, i-n), min(len(rs), i+len(wr)+n)
		s := strings.Join(strings.Fields(string(rs[from:to])), " ")
		if from > 0 {
			s = "…" + s
		}
		if to < len(rs) {
			s += "…"
		}
		return s
	}
	return ""
}

func (h *kbHandlers) create(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var d kb.Draft
	if err := Decode(r, &d); err != nil {
		h.s.Error(w, r, err)
		return
	}
	v, err := h.svc.CreateDraft(r.Context(), st.ID, d)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusCreated, map[string]any{"version": v})
}

func (h *kbHandlers) document(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	id := r.PathValue("id")
	d, err := h.s.Store.Document(r.Context(), id)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	vs, err := h.s.Store.Versions(r.Context(), id)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	out := map[string]any{"document": kbDocument{Document: d, Due: d.DueForReview(h.s.Now())}, "versions": vs, "names": h.staffNames(r, vs)}
	q := r.URL.Query()
	if q.Get("from") != "" || q.Get("to") != "" {
		from, err1 := strconv.Atoi(q.Get("from"))
		to, err2 := strconv.Atoi(q.Get("to"))
		if err1 != nil || err2 != nil {
			h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "from and to must both be version numbers"))
			return
		}
		diff, err := h.svc.Diff(r.Context(), id, from, to)
		if err != nil {
			h.s.Error(w, r, err)
			return
		}
		out["diff"] = diff
	}
	if v := q.Get("chunks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "chunks must be a version number"))
			return
		}
		for _, ver := range vs {
			if ver.Version == n {
				out["chunks"] = kb.PreviewChunks(ver)
			}
		}
	}
	h.s.JSON(w, http.StatusOK, out)
}

// staffNames maps the authors and reviewers of vs to their display names,
// so the page can say who wrote and who approved; ids it cannot resolve
// are left out.
func (h *kbHandlers) staffNames(r *http.Request, vs []xinqiao.DocumentVersion) map[string]string {
	names := map[string]string{}
	for _, v := range vs {
		for _, id := range []string{v.Author, v.Reviewer} {
			if _, done := names[id]; done || id == "" {
				continue
			}
			if st, err := h.s.Store.StaffByID(r.Context(), id); err == nil {
				names[id] = cmp.Or(st.DisplayName, st.Username)
			} else {
				names[id] = id
			}
		}
	}
	return names
}

func (h *kbHandlers) transition(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	id, action := r.PathValue("id"), r.PathValue("action")
	var body struct {
		Version int `json:"version"`
	}
	if action != "retire" || r.ContentLength != 0 {
		if err := Decode(r, &body); err != nil {
			h.s.Error(w, r, err)
			return
		}
	}
	var v xinqiao.DocumentVersion
	var err error
	retired := false
	switch action {
	case "submit":
		v, err = h.svc.Submit(r.Context(), st.ID, id, body.Version)
	case "approve":
		v, err = h.svc.Approve(r.Context(), st.ID, id, body.Version)
	case "retire":
		retired, err = h.svc.Retire(r.Context(), st.ID, id)
	default:
		err = xinqiao.Errorf(xinqiao.ENOTFOUND, "no action %q: use submit, approve or retire", action)
	}
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.Log.Info("knowledge workflow", "action", action, "doc", id, "version", v.Version, "staff", st.ID)
	switch {
	case action == "retire" && retired:
		h.s.audit(r, st, "kb.retire", id, "")
		h.s.JSON(w, http.StatusOK, map[string]any{"retired": id})
	case action == "retire":
		// A card: retired once another curator confirms (202: accepted, not done).
		h.s.audit(r, st, "kb.retire_request", id, "")
		h.s.JSON(w, http.StatusAccepted, map[string]any{"retire_requested": id,
			"message": "已提交下线申请：需另一位教研员确认后才会下线 (another curator must confirm)"})
	default:
		h.s.audit(r, st, "kb."+action, id, fmt.Sprintf("version=%d kind=%s", v.Version, v.Kind))
		h.s.JSON(w, http.StatusOK, map[string]any{"version": v})
	}
}

func (h *kbHandlers) preview(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	var d kb.Draft
	if err := Decode(r, &d); err != nil {
		h.s.Error(w, r, err)
		return
	}
	title, body := d.Title, d.Body
	if d.Markdown != "" {
		p, err := kb.Parse([]byte(d.Markdown))
		if err != nil {
			h.s.Error(w, r, err)
			return
		}
		title, body = p.Title, p.Body
	}
	h.s.JSON(w, http.StatusOK, map[string]any{"chunks": kb.ChunkMarkdown(title, body)})
}

func (h *kbHandlers) hitTest(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	var req struct {
		Query string  `json:"query"`
		K     int     `json:"k"`
		Lang  string  `json:"lang"`
		Band  string  `json:"band"`
		Mode  kb.Mode `json:"mode"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	req.Query = strings.TrimSpace(req.Query)
	switch {
	case req.Query == "":
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "query is empty"))
		return
	case req.K < 0 || req.K > 50:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "k must be between 1 and 50"))
		return
	case req.Mode != "" && req.Mode != kb.Hybrid && req.Mode != kb.Vector && req.Mode != kb.Keyword:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "mode must be hybrid, vector or keyword"))
		return
	case req.Lang != "" && req.Lang != "zh" && req.Lang != "en":
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "lang must be zh, en or empty (both)"))
		return
	case req.Band != "" && req.Band != xinqiao.BandPrimary && req.Band != xinqiao.BandJunior && req.Band != xinqiao.BandSenior:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "band must be primary, junior, senior or empty (all)"))
		return
	}
	res, err := h.search.Search(r.Context(), req.Query, kb.Filter{Lang: req.Lang, Band: req.Band, K: req.K, Mode: req.Mode})
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	if res.Hits == nil {
		res.Hits = []kb.Hit{}
	}
	h.s.JSON(w, http.StatusOK, res)
}

// periodDays reads the ?days= of a report: 30 by default, 1 to 366.
func periodDays(r *http.Request) (int, error) {
	v := r.URL.Query().Get("days")
	if v == "" {
		return 30, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 366 {
		return 0, xinqiao.Errorf(xinqiao.EINVALID, "days must be between 1 and 366")
	}
	return n, nil
}

func (h *kbHandlers) gaps(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	days, err := periodDays(r)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	now := h.s.Now().In(xinqiao.Zone)
	gaps, err := h.s.Store.Gaps(r.Context(), now.AddDate(0, 0, -days+1), now)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	// Totals per topic over the period, the largest first, beside the days.
	totals := map[string]int{}
	for _, g := range gaps {
		totals[g.Topic] += g.Count
	}
	type total struct {
		Topic string `json:"topic"`
		Count int    `json:"count"`
	}
	tl := []total{}
	for t, n := range totals {
		tl = append(tl, total{t, n})
	}
	slices.SortFunc(tl, func(a, b total) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Topic, b.Topic)
	})
	if gaps == nil {
		gaps = []xinqiao.GapTopic{}
	}
	h.s.JSON(w, http.StatusOK, map[string]any{"days": days, "topics": tl, "by_day": gaps})
}

// feedbackRow is one cited document version with the students' feedback
// on the answers that cited it (doc_id "" for answers citing nothing).
type feedbackRow struct {
	DocID     string `json:"doc_id"`
	Version   int    `json:"version"`
	Title     string `json:"title"`
	Wrong     int    `json:"wrong"`
	Upsetting int    `json:"upsetting"`
	Helpful   int    `json:"helpful"`
}

// feedback reports the students' 不对 / 让我难受 / 有帮助 of the last days
// per cited document version, the most complained-about first.
func (h *kbHandlers) feedback(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	days, err := periodDays(r)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	now := h.s.Now().UTC()
	counts, err := h.s.Store.FeedbackCounts(r.Context(), now.AddDate(0, 0, -days), now.Add(time.Second))
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	rows := []*feedbackRow{}
	byVersion := map[string]*feedbackRow{}
	for _, c := range counts {
		key := c.DocID + "\x00" + strconv.Itoa(c.Version)
		row := byVersion[key]
		if row == nil {
			row = &feedbackRow{DocID: c.DocID, Version: c.Version, Title: c.Title}
			byVersion[key] = row
			rows = append(rows, row)
		}
		switch c.Kind {
		case xinqiao.FeedbackWrong:
			row.Wrong += c.Count
		case xinqiao.FeedbackUpsetting:
			row.Upsetting += c.Count
		case xinqiao.FeedbackHelpful:
			row.Helpful += c.Count
		}
	}
	slices.SortStableFunc(rows, func(a, b *feedbackRow) int { return (b.Wrong + b.Upsetting) - (a.Wrong + a.Upsetting) })
	h.s.JSON(w, http.StatusOK, map[string]any{"days": days, "versions": rows})
}
