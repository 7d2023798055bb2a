package config_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaultsRunOffline(t *testing.T) {
	c, err := config.Load("xinqiao", nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.DatabaseURL != "" || c.ChatModel != "" || c.MaxMessageLen != 2000 {
		t.Fatalf("got %+v, want offline defaults", c)
	}
}

func TestLoadEnvThenFlags(t *testing.T) {
	c, err := config.Load("xinqiao", []string{"-addr", ":9000", "-session-ttl", "2h"}, env(map[string]string{
		"XINQIAO_ADDR": ":7000", "XINQIAO_ALLOWED_ORIGINS": "https://a.example, https://b.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.SessionTTL != 2*time.Hour || len(c.AllowedOrigins) != 2 || c.AllowedOrigins[1] != "https://b.example" {
		t.Fatalf("got %+v", c)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad database url", map[string]string{"DATABASE_URL": "mysql://x"}, nil, "DATABASE_URL"},
		{"bad addr", map[string]string{"XINQIAO_ADDR": "8080"}, nil, "XINQIAO_ADDR"},
		{"bad duration", map[string]string{"XINQIAO_SESSION_TTL": "soon"}, nil, "XINQIAO_SESSION_TTL"},
		{"bad origin", map[string]string{"XINQIAO_ALLOWED_ORIGINS": "example.com"}, nil, "XINQIAO_ALLOWED_ORIGINS"},
		{"model without endpoint", map[string]string{"XINQIAO_CHAT_MODEL": "qwen"}, nil, "XINQIAO_CHAT_MODEL"},
		{"embed model without dim", map[string]string{"XINQIAO_EMBED_MODEL": "bge", "OPENAI_BASE_URL": "http://x/v1"}, nil, "XINQIAO_EMBED_DIM"},
		{"short admin password", map[string]string{"XINQIAO_ADMIN_PASSWORD": "short"}, nil, "XINQIAO_ADMIN_PASSWORD"},
		{"bad log level", map[string]string{"XINQIAO_LOG_LEVEL": "loud"}, nil, "XINQIAO_LOG_LEVEL"},
		{"bad flag value", nil, []string{"-max-message-len", "many"}, "max-message-len"},
		{"no sockets per session", map[string]string{"XINQIAO_SOCKETS_PER_TOKEN": "0"}, nil, "XINQIAO_SOCKETS_PER_TOKEN"},
		{"no sessions per address", nil, []string{"-sessions-per-addr", "0"}, "XINQIAO_SESSIONS_PER_ADDR"},
		{"tiny body timeout", map[string]string{"XINQIAO_BODY_TIMEOUT": "1ms"}, nil, "XINQIAO_BODY_TIMEOUT"},
		{"bad trusted proxy", map[string]string{"XINQIAO_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, nil, "XINQIAO_TRUSTED_PROXIES"},
		{"short metrics token", map[string]string{"XINQIAO_METRICS_TOKEN": "abc"}, nil, "XINQIAO_METRICS_TOKEN"},
		{"metrics on the main address", map[string]string{"XINQIAO_METRICS_ADDR": ":8080"}, nil, "XINQIAO_METRICS_ADDR"},
		{"stray argument", nil, []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load("xinqiao", tt.args, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestStringMasksSecrets(t *testing.T) {
	c, err := config.Load("xinqiao", nil, env(map[string]string{
		"DATABASE_URL":           "postgres://app:hunter22@db:5432/xq?sslmode=disable",
		"OPENAI_API_KEY":         "sk-secret-key",
		"OPENAI_BASE_URL":        "http://llm:8000/v1",
		"XINQIAO_ADMIN_PASSWORD": "correct horse battery",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"hunter22", "sk-secret-key", "correct horse", "sslmode"} {
		if strings.Contains(s, secret) {
			t.Fatalf("String() shows %q: %s", secret, s)
		}
	}
	if !strings.Contains(s, "db:5432") || !strings.Contains(s, "http://llm:8000/v1") {
		t.Fatalf("String() hides too much: %s", s)
	}
}
