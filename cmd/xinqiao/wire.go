package main

import (
	"context"
	"io"
	"log/slog"

	"xinqiao/internal/config"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"
)

// app is the wired service of one node.
type app struct {
	web        *web.Server
	ctx        context.Context // ends when the node stops; background loops and sockets use it
	stop       func()
	answerMode string
}

// wire builds every part of the service on an open store. Only this
// function knows which implementations are in use.
func wire(ctx context.Context, cfg config.Config, store xinqiao.Store, log *slog.Logger, progress io.Writer) (*app, error) {
	actx, cancel := context.WithCancel(context.Background())
	a := &app{ctx: actx, answerMode: "extractive"}
	a.web = web.New(cfg, store, log)
	a.stop = cancel
	return a, nil
}
