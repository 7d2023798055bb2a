// Package config holds the one configuration struct of the service: safe
// defaults that run offline, overridden by environment variables and then by
// flags, validated at start with errors that name the variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration. Each field has an environment variable
// and a flag of the same meaning; the flag wins.
type Config struct {
	Addr           string        // XINQIAO_ADDR, -addr
	DataDir        string        // XINQIAO_DATA_DIR, -data-dir
	DatabaseURL    string        // DATABASE_URL, -database-url (unset: embedded SQLite)
	OpenAIBaseURL  string        // OPENAI_BASE_URL, -openai-base-url
	OpenAIAPIKey   string        // OPENAI_API_KEY, -openai-api-key
	ChatModel      string        // XINQIAO_CHAT_MODEL, -chat-model (unset: extractive answers)
	LLMStall       time.Duration // XINQIAO_LLM_STALL_TIMEOUT, -llm-stall-timeout: a streamed answer quiet this long falls back to the extractive one
	EmbedModel     string        // XINQIAO_EMBED_MODEL, -embed-model (unset: local embedder)
	EmbedDim       int           // XINQIAO_EMBED_DIM, -embed-dim (the remote model's dimension)
	AdminPassword  string        // XINQIAO_ADMIN_PASSWORD, -admin-password (first start only)
	AllowedOrigins []string      // XINQIAO_ALLOWED_ORIGINS, -allowed-origins (comma-separated; unset: same host only)
	RiskRulesDir   string        // XINQIAO_RISK_RULES_DIR, -risk-rules-dir (district rule files added to the built-in ones)
	RiskOpinion    string        // XINQIAO_RISK_OPINION, -risk-opinion: "" (off), "exemplar" or "llm": a second opinion that may raise a level
	KnowledgeDir   string        // XINQIAO_KNOWLEDGE_DIR, -knowledge-dir (unset: the material built into the binary)
	LogFormat      string        // XINQIAO_LOG_FORMAT, -log-format: text or json
	LogLevel       string        // XINQIAO_LOG_LEVEL, -log-level: debug, info, warn, error
	SessionTTL     time.Duration // XINQIAO_SESSION_TTL, -session-ttl: student and staff session lifetime
	ShutdownGrace  time.Duration // XINQIAO_SHUTDOWN_GRACE, -shutdown-grace: bound on a graceful stop
	MaxMessageLen  int           // XINQIAO_MAX_MESSAGE_LEN, -max-message-len: characters per student message
	AlertWebhook   string        // XINQIAO_ALERT_WEBHOOK, -alert-webhook: where escalations are posted
	AlertSecret    string        // XINQIAO_ALERT_SECRET, -alert-secret: signing secret of a DingTalk robot webhook
	AlertTargets   string        // XINQIAO_ALERT_TARGETS, -alert-targets: JSON array of alert targets with audiences
	OnCallContact  string        // XINQIAO_ONCALL, -oncall: the district on-call contact named in the last escalation step
	DutyHours      string        // XINQIAO_DUTY_HOURS, -duty-hours: days and hours of duty by the clock, e.g. "mon-fri 08:00-18:00" (unset: that)
	Holidays       string        // XINQIAO_HOLIDAYS, -holidays: dates with no duty by the clock, e.g. "2026-10-01..2026-10-07,2027-01-01"
	RetentionDays  int           // XINQIAO_RETENTION_DAYS, -retention-days: days a conversation without a handoff is kept after its last activity (0: forever)
	AnswerSlots    int           // XINQIAO_ANSWER_SLOTS, -answer-slots: answers written at once (0: twice the CPUs for extractive answers, 64 with a chat model)
	PongWait       time.Duration // XINQIAO_WS_PONG_WAIT, -ws-pong-wait: longest a socket may stay silent (it must answer the server's pings)

	// Limits against guessing, slow clients and floods. The defaults are far
	// above what a school behind one NAT address does in normal use.
	LoginFreeFailures   int           // XINQIAO_LOGIN_FREE_FAILURES, -login-free-failures: wrong passwords per address and username before delays start
	LoginMaxDelay       time.Duration // XINQIAO_LOGIN_MAX_DELAY, -login-max-delay: longest delay between tries of one address and username
	LoginAddrFailures   int           // XINQIAO_LOGIN_ADDR_FAILURES, -login-addr-failures: wrong passwords per address per hour, over all usernames
	ReadHeaderTimeout   time.Duration // XINQIAO_READ_HEADER_TIMEOUT, -read-header-timeout: time to send a request's headers
	BodyTimeout         time.Duration // XINQIAO_BODY_TIMEOUT, -body-timeout: time to send a request's body
	SessionsPerAddr     int           // XINQIAO_SESSIONS_PER_ADDR, -sessions-per-addr: new student sessions per address per minute
	SessionsPerTerminal int           // XINQIAO_SESSIONS_PER_TERMINAL, -sessions-per-terminal: new student sessions per terminal code per minute
	SocketsPerToken     int           // XINQIAO_SOCKETS_PER_TOKEN, -sockets-per-token: open WebSockets per student or staff session
	SocketsPerAddr      int           // XINQIAO_SOCKETS_PER_ADDR, -sockets-per-addr: open WebSockets per address

	TrustedProxies []string // XINQIAO_TRUSTED_PROXIES, -trusted-proxies: addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed

	MetricsToken string // XINQIAO_METRICS_TOKEN, -metrics-token: bearer token Prometheus sends for /metrics
	MetricsAddr  string // XINQIAO_METRICS_ADDR, -metrics-addr: a separate listen address for /metrics only (e.g. 127.0.0.1:9090)
}

// Default returns the configuration that runs offline with no setup.
func Default() Config {
	return Config{
		Addr:          ":8080",
		DataDir:       "./data",
		LogFormat:     "text",
		LogLevel:      "info",
		SessionTTL:    12 * time.Hour,
		ShutdownGrace: 10 * time.Second,
		MaxMessageLen: 2000,
		RetentionDays: 180,
		LLMStall:      8 * time.Second,
		PongWait:      60 * time.Second,

		LoginFreeFailures:   5,
		LoginMaxDelay:       15 * time.Minute,
		LoginAddrFailures:   100,
		ReadHeaderTimeout:   10 * time.Second,
		BodyTimeout:         30 * time.Second,
		SessionsPerAddr:     600,
		SessionsPerTerminal: 30,
		SocketsPerToken:     8,
		SocketsPerAddr:      3000,
	}
}

type field struct {
	env, flag, usage string
	set              func(string) error
	get              func() string
	secret           bool
}

func (c *Config) fields() []field {
	return []field{
		bind("XINQIAO_ADDR", "addr", "listen address", false, &c.Addr),
		bind("XINQIAO_DATA_DIR", "data-dir", "folder for the embedded database", false, &c.DataDir),
		bind("DATABASE_URL", "database-url", "PostgreSQL URL (unset: embedded SQLite)", true, &c.DatabaseURL),
		bind("OPENAI_BASE_URL", "openai-base-url", "OpenAI-compatible API base URL, e.g. http://llm:8000/v1", false, &c.OpenAIBaseURL),
		bind("OPENAI_API_KEY", "openai-api-key", "API key for the OpenAI-compatible API", true, &c.OpenAIAPIKey),
		bind("XINQIAO_CHAT_MODEL", "chat-model", "chat model name (unset: extractive answers)", false, &c.ChatModel),
		bind("XINQIAO_LLM_STALL_TIMEOUT", "llm-stall-timeout", "longest wait for the next token of a streamed answer before the extractive answer is sent instead", false, &c.LLMStall),
		bind("XINQIAO_EMBED_MODEL", "embed-model", "embedding model name (unset: local embedder)", false, &c.EmbedModel),
		bind("XINQIAO_EMBED_DIM", "embed-dim", "dimension of the embedding model's vectors", false, &c.EmbedDim),
		bind("XINQIAO_ADMIN_PASSWORD", "admin-password", "first admin's password (first start only)", true, &c.AdminPassword),
		bind("XINQIAO_ALLOWED_ORIGINS", "allowed-origins", "comma-separated origins allowed on WebSockets (unset: same host)", false, &c.AllowedOrigins),
		bind("XINQIAO_RISK_RULES_DIR", "risk-rules-dir", "folder of district risk rule files added to the built-in ones", false, &c.RiskRulesDir),
		bind("XINQIAO_RISK_OPINION", "risk-opinion", `second risk opinion: "" (off), "exemplar" (similarity to our labelled cases) or "llm" (needs XINQIAO_CHAT_MODEL)`, false, &c.RiskOpinion),
		bind("XINQIAO_KNOWLEDGE_DIR", "knowledge-dir", "folder of vetted Markdown imported at start (unset: built-in material)", false, &c.KnowledgeDir),
		bind("XINQIAO_LOG_FORMAT", "log-format", "text or json", false, &c.LogFormat),
		bind("XINQIAO_LOG_LEVEL", "log-level", "debug, info, warn or error", false, &c.LogLevel),
		bind("XINQIAO_SESSION_TTL", "session-ttl", "lifetime of student and staff sessions", false, &c.SessionTTL),
		bind("XINQIAO_SHUTDOWN_GRACE", "shutdown-grace", "longest a graceful stop may take", false, &c.ShutdownGrace),
		bind("XINQIAO_MAX_MESSAGE_LEN", "max-message-len", "most characters in one student message", false, &c.MaxMessageLen),
		bind("XINQIAO_ALERT_WEBHOOK", "alert-webhook", "webhook URL for escalation alerts (generic JSON or WeCom/DingTalk robot)", true, &c.AlertWebhook),
		bind("XINQIAO_ALERT_SECRET", "alert-secret", "signing secret of a DingTalk robot webhook", true, &c.AlertSecret),
		bind("XINQIAO_ALERT_TARGETS", "alert-targets", `JSON array of alert targets, e.g. [{"name":"district","kind":"robot","url":"…","secret":"…","audiences":["oncall"]}]`, true, &c.AlertTargets),
		bind("XINQIAO_ONCALL", "oncall", "district on-call contact named in the last escalation step", false, &c.OnCallContact),
		bind("XINQIAO_DUTY_HOURS", "duty-hours", `days and hours (Guangzhou time) in which a counselor with a console open is on duty, e.g. "mon-fri 08:00-18:00" (the default) or "mon-fri,sat 07:30-17:30"`, false, &c.DutyHours),
		bind("XINQIAO_HOLIDAYS", "holidays", "comma-separated dates (and ranges a..b) on which nobody is on duty by the clock, e.g. 2026-10-01..2026-10-07,2027-01-01", false, &c.Holidays),
		bind("XINQIAO_ANSWER_SLOTS", "answer-slots", "answers written at once; more wait their turn, and the student is told (0: twice the CPUs for extractive answers, 64 with a chat model)", false, &c.AnswerSlots),
		bind("XINQIAO_WS_PONG_WAIT", "ws-pong-wait", "longest a WebSocket may stay silent; the server pings at 9/10 of it", false, &c.PongWait),
		bind("XINQIAO_RETENTION_DAYS", "retention-days", "days a conversation that reached no counselor is kept after its last activity (0: forever)", false, &c.RetentionDays),
		bind("XINQIAO_LOGIN_FREE_FAILURES", "login-free-failures", "wrong passwords per address and username before each further try waits a doubling delay", false, &c.LoginFreeFailures),
		bind("XINQIAO_LOGIN_MAX_DELAY", "login-max-delay", "longest delay between login tries of one address and username", false, &c.LoginMaxDelay),
		bind("XINQIAO_LOGIN_ADDR_FAILURES", "login-addr-failures", "wrong passwords per address per hour over all usernames (successful logins spend none)", false, &c.LoginAddrFailures),
		bind("XINQIAO_READ_HEADER_TIMEOUT", "read-header-timeout", "time a client has to send a request's headers", false, &c.ReadHeaderTimeout),
		bind("XINQIAO_BODY_TIMEOUT", "body-timeout", "time a client has to send a request's body (WebSockets are not affected)", false, &c.BodyTimeout),
		bind("XINQIAO_SESSIONS_PER_ADDR", "sessions-per-addr", "new student sessions per address per minute", false, &c.SessionsPerAddr),
		bind("XINQIAO_SESSIONS_PER_TERMINAL", "sessions-per-terminal", "new student sessions per terminal code per minute", false, &c.SessionsPerTerminal),
		bind("XINQIAO_SOCKETS_PER_TOKEN", "sockets-per-token", "open WebSockets per student or staff session", false, &c.SocketsPerToken),
		bind("XINQIAO_SOCKETS_PER_ADDR", "sockets-per-addr", "open WebSockets per address", false, &c.SocketsPerAddr),
		bind("XINQIAO_TRUSTED_PROXIES", "trusted-proxies", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For gives the client address (unset: the TCP peer)", false, &c.TrustedProxies),
		bind("XINQIAO_METRICS_TOKEN", "metrics-token", "bearer token for /metrics (unset, with no metrics address: /metrics is refused)", true, &c.MetricsToken),
		bind("XINQIAO_METRICS_ADDR", "metrics-addr", "separate listen address serving /metrics only (then not on the main address)", false, &c.MetricsAddr),
	}
}

// bind makes a field of a pointer to a string, int, duration or list.
func bind(env, fl, usage string, secret bool, p any) field {
	f := field{env: env, flag: fl, usage: usage, secret: secret}
	switch p := p.(type) {
	case *string:
		f.set = func(v string) error { *p = v; return nil }
		f.get = func() string { return *p }
	case *int:
		f.set = func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want a whole number")
			}
			*p = n
			return nil
		}
		f.get = func() string { return strconv.Itoa(*p) }
	case *time.Duration:
		f.set = func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("want a duration such as 30s or 12h")
			}
			*p = d
			return nil
		}
		f.get = func() string { return p.String() }
	case *[]string:
		f.set = func(v string) error {
			*p = nil
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					*p = append(*p, s)
				}
			}
			return nil
		}
		f.get = func() string { return strings.Join(*p, ",") }
	default:
		panic(fmt.Sprintf("config: cannot bind %T", p))
	}
	return f
}

// Load builds the configuration from defaults, the environment (getenv) and
// the command-line arguments, then validates it. Errors name the variable.
func Load(name string, args []string, getenv func(string) string) (Config, error) {
	c := Default()
	fields := c.fields()
	for _, f := range fields {
		if v := getenv(f.env); v != "" {
			if err := f.set(v); err != nil {
				return c, fmt.Errorf("%s=%q: %v", f.env, mask(v, f.secret), err)
			}
		}
	}
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(os.Stderr)
	for _, f := range fields {
		f := f
		fl.Func(f.flag, f.usage+" (env "+f.env+")", func(v string) error { return f.set(v) })
	}
	if err := fl.Parse(args); err != nil {
		return c, err
	}
	if fl.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	return c, c.Validate()
}

// Validate checks every field and returns all problems at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("XINQIAO_ADDR", "%q is not host:port (e.g. :8080)", c.Addr)
	}
	for _, p := range c.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			bad("XINQIAO_TRUSTED_PROXIES", "%q is not an address or CIDR range such as 10.0.0.0/8", p)
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil || c.MetricsAddr == c.Addr {
			bad("XINQIAO_METRICS_ADDR", "%q is not host:port other than XINQIAO_ADDR (e.g. 127.0.0.1:9090)", c.MetricsAddr)
		}
	}
	if t := c.MetricsToken; t != "" && len(t) < 16 {
		bad("XINQIAO_METRICS_TOKEN", "must be at least 16 characters")
	}
	if c.DataDir == "" && c.DatabaseURL == "" {
		bad("XINQIAO_DATA_DIR", "must be set when DATABASE_URL is unset")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_URL", "want postgres://user:password@host:5432/dbname")
		}
	}
	if c.OpenAIBaseURL != "" {
		u, err := url.Parse(c.OpenAIBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("OPENAI_BASE_URL", "want an http(s) URL such as http://localhost:11434/v1")
		}
	}
	if c.ChatModel != "" && c.OpenAIBaseURL == "" && c.OpenAIAPIKey == "" {
		bad("XINQIAO_CHAT_MODEL", "is set but neither OPENAI_BASE_URL nor OPENAI_API_KEY is")
	}
	if c.EmbedModel != "" {
		if c.OpenAIBaseURL == "" && c.OpenAIAPIKey == "" {
			bad("XINQIAO_EMBED_MODEL", "is set but neither OPENAI_BASE_URL nor OPENAI_API_KEY is")
		}
		if c.EmbedDim <= 0 {
			bad("XINQIAO_EMBED_DIM", "must give the embedding model's dimension when XINQIAO_EMBED_MODEL is set")
		}
	}
	if c.EmbedDim < 0 || c.EmbedDim > 16000 {
		bad("XINQIAO_EMBED_DIM", "must be between 1 and 16000")
	}
	for _, o := range c.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			bad("XINQIAO_ALLOWED_ORIGINS", "%q is not an origin such as https://xinqiao.example.edu.cn", o)
		}
	}
	if c.AlertWebhook != "" {
		u, err := url.Parse(c.AlertWebhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("XINQIAO_ALERT_WEBHOOK", "want an http(s) URL")
		}
	}
	switch c.RiskOpinion {
	case "", "exemplar":
	case "llm":
		if c.ChatModel == "" {
			bad("XINQIAO_RISK_OPINION", "llm needs XINQIAO_CHAT_MODEL and its endpoint")
		}
	default:
		bad("XINQIAO_RISK_OPINION", "%q: want \"\", exemplar or llm", c.RiskOpinion)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("XINQIAO_LOG_FORMAT", "%q: want text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("XINQIAO_LOG_LEVEL", "%q: want debug, info, warn or error", c.LogLevel)
	}
	if c.SessionTTL < time.Minute || c.SessionTTL > 7*24*time.Hour {
		bad("XINQIAO_SESSION_TTL", "%v: want between 1m and 168h", c.SessionTTL)
	}
	if c.ShutdownGrace <= 0 || c.ShutdownGrace > 5*time.Minute {
		bad("XINQIAO_SHUTDOWN_GRACE", "%v: want between 1s and 5m", c.ShutdownGrace)
	}
	if c.LLMStall < 100*time.Millisecond || c.LLMStall > time.Minute {
		bad("XINQIAO_LLM_STALL_TIMEOUT", "%v: want between 100ms and 1m", c.LLMStall)
	}
	if c.MaxMessageLen < 10 || c.MaxMessageLen > 20000 {
		bad("XINQIAO_MAX_MESSAGE_LEN", "%d: want between 10 and 20000", c.MaxMessageLen)
	}
	if c.AnswerSlots < 0 || c.AnswerSlots > 4096 {
		bad("XINQIAO_ANSWER_SLOTS", "%d: want 0 (automatic) or between 1 and 4096", c.AnswerSlots)
	}
	if c.PongWait < time.Second || c.PongWait > 10*time.Minute {
		bad("XINQIAO_WS_PONG_WAIT", "%v: want between 1s and 10m", c.PongWait)
	}
	if d := c.RetentionDays; d != 0 && (d < 30 || d > 3650) {
		bad("XINQIAO_RETENTION_DAYS", "%d: want 0 (keep forever) or between 30 and 3650", d)
	}
	for _, l := range []struct {
		env       string
		v, lo, hi int
	}{
		{"XINQIAO_LOGIN_FREE_FAILURES", c.LoginFreeFailures, 1, 100},
		{"XINQIAO_LOGIN_ADDR_FAILURES", c.LoginAddrFailures, 1, 1000000},
		{"XINQIAO_SESSIONS_PER_ADDR", c.SessionsPerAddr, 1, 1000000},
		{"XINQIAO_SESSIONS_PER_TERMINAL", c.SessionsPerTerminal, 1, 1000000},
		{"XINQIAO_SOCKETS_PER_TOKEN", c.SocketsPerToken, 1, 1000},
		{"XINQIAO_SOCKETS_PER_ADDR", c.SocketsPerAddr, 1, 1000000},
	} {
		if l.v < l.lo || l.v > l.hi {
			bad(l.env, "%d: want between %d and %d", l.v, l.lo, l.hi)
		}
	}
	for _, l := range []struct {
		env       string
		v, lo, hi time.Duration
	}{
		{"XINQIAO_LOGIN_MAX_DELAY", c.LoginMaxDelay, time.Second, 24 * time.Hour},
		{"XINQIAO_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout, time.Second, 5 * time.Minute},
		{"XINQIAO_BODY_TIMEOUT", c.BodyTimeout, time.Second, time.Hour},
	} {
		if l.v < l.lo || l.v > l.hi {
			bad(l.env, "%v: want between %v and %v", l.v, l.lo, l.hi)
		}
	}
	if p := c.AdminPassword; p != "" && len([]rune(p)) < 10 {
		bad("XINQIAO_ADMIN_PASSWORD", "must be at least 10 characters")
	}
	return errors.Join(errs...)
}

// TrustedProxyPrefixes returns XINQIAO_TRUSTED_PROXIES as ranges (a single
// address is a range of one); entries that do not parse (refused by
// Validate) are left out.
func (c Config) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range c.TrustedProxies {
		if pf, err := parsePrefix(p); err == nil {
			out = append(out, pf)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// String prints the configuration with secrets masked, for the start-up log.
func (c Config) String() string {
	var b strings.Builder
	for _, f := range c.fields() {
		v := f.get()
		if v == "" || v == "0" {
			continue
		}
		fmt.Fprintf(&b, "%s=%s ", f.env, mask(v, f.secret))
	}
	return strings.TrimSpace(b.String())
}

// mask hides a secret. A URL keeps its scheme, host and path so an operator
// can still see where it points; its password and query are hidden.
func mask(v string, secret bool) string {
	if !secret || v == "" {
		return v
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if u.User != nil {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		if u.RawQuery != "" {
			u.RawQuery = "xxxxx"
		}
		return u.String()
	}
	return "xxxxx"
}
