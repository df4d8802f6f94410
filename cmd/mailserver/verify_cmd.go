package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailserver/mailserver/store"
)

// The "mailserver verify" and "mailserver compact" commands.

func (c *cli) verifyCmd(ctx context.Context, args []string) error {
	if err := c.noArgs("verify", args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	client, err := serverClient(ctx, cfg)
	if err != nil {
		return err
	}
	var rep *store.VerifyReport
	how := "offline"
	if client != nil {
		defer client.Close()
		how = "through the running server"
		rep, err = client.Verify(ctx)
	} else {
		rep, err = store.VerifyFile(ctx, dbPath(cfg))
		if errors.Is(err, store.ErrLocked) {
			err = fmt.Errorf("%w, but its admin socket does not answer; is it still starting?", err)
		}
	}
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(c.stdout, "problem: %s\n", p)
	}
	if n := rep.ProblemCount - len(rep.Problems); n > 0 {
		fmt.Fprintf(c.stdout, "... and %d more problems\n", n)
	}
	fmt.Fprintf(c.stdout, "verified %s (%s, %s): %d users, %d mailboxes, %d messages, %d bodies in %d chunks, %d queued, in %s\n",
		dbPath(cfg), how, byteSize(rep.FileSize), rep.Users, rep.Mailboxes, rep.Messages, rep.Bodies, rep.Chunks, rep.Queued,
		rep.Duration.Round(time.Millisecond))
	if !rep.OK() {
		return fmt.Errorf("verify: %d problems found", rep.ProblemCount)
	}
	fmt.Fprintln(c.stdout, "no problems found")
	return nil
}

func (c *cli) compactCmd(ctx context.Context, args []string) error {
	if err := c.noArgs("compact", args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	// Compaction replaces the file, so it runs with the server stopped
	// (store.Compact says why).
	if err := refuseWhileRunning(ctx, cfg, "compact"); err != nil {
		return err
	}
	start := time.Now()
	progress := c.progress("compact")
	before, after, err := store.Compact(ctx, dbPath(cfg), progress.update)
	progress.end()
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("compact: %w: a process has %s open; stop the server first", err, dbPath(cfg))
	}
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	fmt.Fprintf(c.stdout, "compacted %s: %s before, %s after (%d bytes -> %d bytes), in %s\n", dbPath(cfg),
		byteSize(before), byteSize(after), before, after, time.Since(start).Round(time.Millisecond))
	return nil
}
