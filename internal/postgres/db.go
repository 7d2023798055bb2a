// Package postgres is the production store: PostgreSQL 15+ with pgvector,
// through a pgx/v5 pool. Several nodes share one database and exchange live
// events with LISTEN/NOTIFY.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"xinqiao/internal/groupcommit"
	"xinqiao/internal/xinqiao"
	"xinqiao/migrations"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
)

// DB is the PostgreSQL store.
type DB struct {
	pool   pool
	cfg    *pgxpool.Config
	log    *slog.Logger
	now    func() time.Time
	broker *broker
	// channel is the NOTIFY channel of this store's schema (eventChannel).
	channel string
	// appends batches concurrent appends into shared transactions.
	appends *groupcommit.Committer[appendReq, appendRes]
}

var _ xinqiao.Store = (*DB)(nil)

// migrationLock is the advisory lock key that serialises migrations when
// several nodes start at once ("xinqiao" in ASCII).
const migrationLock = 0x78696e7169616f

// defaultPoolSize is the connections a node opens at most unless
// DATABASE_URL sets pool_max_conns; keep nodes × this under the server's
// max_connections (100 by default).
const defaultPoolSize = 24

// Open connects, applies the migrations (which create the vector extension)
// and then opens the pool whose connections register the pgvector types.
func Open(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is malformed: %v (want postgres://user:password@host:5432/dbname)", redact(err))
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg.ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("cannot connect to PostgreSQL at %s: %v (check DATABASE_URL and that the server is running)", where, redact(err))
	}
	err = migrate(ctx, conn)
	var schema string
	if err == nil {
		if err = conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			err = fmt.Errorf("read the current schema: %w", err)
		}
	}
	conn.Close(context.Background())
	if err != nil {
		return nil, err
	}
	// pgx's default pool is max(4, CPUs) connections: on a 2-core node acks
	// queue behind answers for a connection, and PostgreSQL's group commit
	// has few commits to group. DATABASE_URL's pool_max_conns overrides.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultPoolSize
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error { return pgxvec.RegisterTypes(ctx, c) }
	pp, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool for %s: %w", where, err)
	}
	if err := pp.Ping(cctx); err != nil {
		pp.Close()
		return nil, fmt.Errorf("cannot use PostgreSQL at %s: %v", where, redact(err))
	}
	db := &DB{pool: pool{pp}, cfg: cfg, log: log, now: time.Now, channel: eventChannel(schema)}
	db.broker = newBroker(cfg.ConnConfig, db.channel, log)
	db.appends = db.newAppender()
	return db, nil
}

// redact turns a connection error into one line for the start-up message.
// pgx errors name host and user, never the password, so their text is safe
// to show; pgx lists each address tried on its own line.
func redact(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// Engine implements xinqiao.Store.
func (db *DB) Engine() string { return "postgres" }

// Pool exposes the pool to tests and benchmarks of this package's users.
func (db *DB) Pool() *pgxpool.Pool { return db.pool.Pool }

// SetClock replaces the store's clock; tests use it to control expiries.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Close implements xinqiao.Store.
func (db *DB) Close() error {
	db.appends.Close()
	db.broker.close()
	db.pool.Close()
	return nil
}

// Ping implements xinqiao.Store: the server answers and the schema is current.
func (db *DB) Ping(ctx context.Context) error {
	var v int
	if err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if want := migrations.Latest("postgres"); v != want {
		return fmt.Errorf("postgres: schema version %d, want %d", v, want)
	}
	return nil
}

func migrate(ctx context.Context, conn *pgx.Conn) error {
	var available bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')`).Scan(&available); err != nil {
		return fmt.Errorf("check for pgvector: %w", err)
	}
	if !available {
		return errors.New("the pgvector extension is not installed on the PostgreSQL server: install it (Debian: build the pgvector source package; Docker: use the pgvector/pgvector image) and start again")
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	ms, err := migrations.Load("postgres")
	if err != nil {
		return err
	}
	var cur int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > len(ms) {
		return fmt.Errorf("the database has schema version %d but this binary knows only up to %d: run a newer xinqiao", cur, len(ms))
	}
	for _, m := range ms[cur:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// tx runs fn in a transaction, committing when it returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isUnique(err error) bool     { return pgCode(err) == "23505" }
func isForeignKey(err error) bool { return pgCode(err) == "23503" }

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
