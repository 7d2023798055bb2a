package kb

import (
	"strings"
	"unicode"
)

// maxSocialRunes bounds the messages Social reads: a thanks or a greeting
// is short, and the check is a small dynamic programme over the runes.
const maxSocialRunes = 48

// socialParts are the pieces a social message is made of, in Simplified
// and Traditional Chinese, Cantonese and English: greetings, thanks,
// farewells, acknowledgements, "I feel better now", the people addressed
// and sentence particles. Spaces are removed before matching, so English
// phrases are written without them.
var socialParts = func() map[string]bool {
	parts := []string{
		// Greetings.
		"你好", "您好", "你們好", "你们好", "嗨", "哈喽", "哈囉", "哈啰", "早上好", "早安", "午安", "下午好", "晚上好", "在吗", "在嗎", "在不在", "早晨",
		// Thanks.
		"谢谢", "謝謝", "谢啦", "謝啦", "多谢", "多謝", "感谢", "感謝", "感恩", "辛苦了", "辛苦你了", "辛苦您了", "麻烦你了", "麻煩你了", "唔该", "唔該", "晒", "哂", "非常", "真的", "太",
		// Farewells.
		"再见", "再見", "拜拜", "拜", "晚安", "下次见", "下次見", "回头见", "回頭見", "先走了", "我先走了", "我走了", "886", "88",
		// Acknowledgements.
		"好的", "好滴", "好吧", "好嘅", "好", "行", "嗯", "嗯嗯", "哦", "噢", "喔", "知道了", "明白了", "明白", "收到", "懂了", "可以", "没问题", "沒問題", "冇问题", "冇問題", "得", "係",
		// Feeling better.
		"我好多了", "好多了", "好多啦", "好点了", "好點了", "好一点了", "好一點了", "我没事了", "没事了", "我沒事了", "沒事了", "冇事", "我冇事", "感觉好多了", "感覺好多了", "心情好多了", "舒服多了", "好返好多", "好返",
		// People addressed.
		"老师", "老師", "你", "您", "你们", "你們", "心桥", "心橋", "大家",
		// Particles and laughter.
		"了", "啦", "啊", "呀", "哇", "呢", "吧", "哈", "哈哈", "呵呵", "嘻嘻", "嘿", "喇", "囉", "咯", "嘛", "哟", "喲", "咩", "噃",
		// English.
		"hi", "hello", "hey", "heythere", "hithere", "goodmorning", "goodafternoon", "goodevening", "goodnight",
		"thanks", "thank", "thankyou", "thx", "ty", "cheers", "somuch", "verymuch", "alot", "again", "foryourhelp", "forlistening",
		"bye", "byebye", "goodbye", "seeyou", "seeya", "later", "takecare",
		"ok", "okay", "okie", "k", "alright", "sure", "yes", "yeah", "yep", "gotit", "cool", "great", "nice", "noworries", "understood",
		"ifeelbetter", "ifeelmuchbetter", "imbetter", "iambetter", "imfine", "iamfine", "imok", "imokay", "feelingbetter", "muchbetter", "betternow", "now",
		"teacher", "miss", "sir", "xinqiao", "and", "so", "oh", "ah",
	}
	m := make(map[string]bool, len(parts))
	for _, p := range parts {
		m[p] = true
	}
	return m
}()

// socialLongest is the longest part in runes.
var socialLongest = func() int {
	n := 0
	for p := range socialParts {
		n = max(n, len([]rune(p)))
	}
	return n
}()

// Social reports whether text is only social talk — a greeting, thanks, a
// farewell, an acknowledgement or "I feel better now", in Chinese,
// Cantonese or English — and asks nothing the knowledge base could answer.
// Such a message is never counted as a knowledge gap. Anything beyond the
// social parts ("谢谢，但我还是睡不着") makes it not social.
func Social(text string) bool {
	var rs []rune
	for _, r := range strings.ToLower(text) {
		switch {
		case r == '\'' || r == '’':
			// "I'm" matches as "im".
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			rs = append(rs, r)
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Mn, r) || r == '\u200d':
			// Spaces, punctuation, emoji and their joiners carry no question.
		default:
			return false
		}
		if len(rs) > maxSocialRunes {
			return false
		}
	}
	if len(rs) == 0 {
		return false
	}
	// ok[i]: the first i runes split into social parts.
	ok := make([]bool, len(rs)+1)
	ok[0] = true
	for i := 1; i <= len(rs); i++ {
		for n := 1; n <= min(i, socialLongest) && !ok[i]; n++ {
			ok[i] = ok[i-n] && socialParts[string(rs[i-n:i])]
		}
	}
	return ok[len(rs)]
}
