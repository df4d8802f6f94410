package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// The "mailserver queue" subcommands: list, show, retry, delete and bounce
// outbound mail, through the admin socket of a running server (whose
// scheduler is woken at once) or directly on the database.

// queueAdmin is the queue part of the admin interface.
type queueAdmin interface {
	QueueList(ctx context.Context) ([]store.QueuedMessage, error)
	QueueShow(ctx context.Context, id uint64) (*store.QueuedMessage, error)
	// QueueRetry makes message id due now; all: every message. It
	// returns the number of messages.
	QueueRetry(ctx context.Context, id uint64, all bool) (int, error)
	QueueDelete(ctx context.Context, id uint64) error
	QueueBounce(ctx context.Context, id uint64) error
}

// Paths of the queue endpoints of the admin socket.
const (
	pathQueueList   = "/v1/queue/list"
	pathQueueShow   = "/v1/queue/show"
	pathQueueRetry  = "/v1/queue/retry"
	pathQueueDelete = "/v1/queue/delete"
	pathQueueBounce = "/v1/queue/bounce"
)

type (
	queueIDArgs    struct{ ID uint64 }
	queueRetryArgs struct {
		ID  uint64
		All bool
	}
	queueRetryResult struct{ Messages int }
)

// queueEndpoints are added to adminEndpoints.
func queueEndpoints() []adminEndpoint {
	return []adminEndpoint{
		endpoint(pathQueueList, func(ctx context.Context, a admin, _ noArgs) ([]store.QueuedMessage, error) {
			return a.QueueList(ctx)
		}),
		endpoint(pathQueueShow, func(ctx context.Context, a admin, r queueIDArgs) (*store.QueuedMessage, error) {
			return a.QueueShow(ctx, r.ID)
		}),
		endpoint(pathQueueRetry, func(ctx context.Context, a admin, r queueRetryArgs) (queueRetryResult, error) {
			n, err := a.QueueRetry(ctx, r.ID, r.All)
			return queueRetryResult{n}, err
		}),
		endpoint(pathQueueDelete, func(ctx context.Context, a admin, r queueIDArgs) (noArgs, error) {
			return done(a.QueueDelete(ctx, r.ID))
		}),
		endpoint(pathQueueBounce, func(ctx context.Context, a admin, r queueIDArgs) (noArgs, error) {
			return done(a.QueueBounce(ctx, r.ID))
		}),
	}
}

// cliQueue is the queue the CLI uses on the database when no server runs
// (no scheduler: changes wait for the next start).
func cliQueue(st *store.Store, cfg *Config, log *slog.Logger) *queue.Queue {
	return queue.New(st, queue.Options{Hostname: cfg.Hostname, Logger: log, DKIM: st})
}

// queue returns the server's queue (set by serve, so a retry wakes its
// scheduler) or one over the store.
func (d *directAdmin) queue() *queue.Queue {
	if d.q != nil {
		return d.q
	}
	return queue.New(d.st, queue.Options{DKIM: d.st})
}

func (d *directAdmin) QueueList(ctx context.Context) ([]store.QueuedMessage, error) {
	return d.queue().List(ctx)
}

func (d *directAdmin) QueueShow(ctx context.Context, id uint64) (*store.QueuedMessage, error) {
	return d.queue().Get(ctx, id)
}

func (d *directAdmin) QueueRetry(ctx context.Context, id uint64, all bool) (int, error) {
	if all {
		return d.queue().RetryAll(ctx)
	}
	if err := d.queue().Retry(ctx, id); err != nil {
		return 0, err
	}
	return 1, nil
}

func (d *directAdmin) QueueDelete(ctx context.Context, id uint64) error {
	return d.queue().Delete(ctx, id)
}

func (d *directAdmin) QueueBounce(ctx context.Context, id uint64) error {
	return d.queue().Bounce(ctx, id)
}

func (c *adminClient) QueueList(ctx context.Context) ([]store.QueuedMessage, error) {
	return adminCall[[]store.QueuedMessage](ctx, c, pathQueueList, noArgs{})
}

func (c *adminClient) QueueShow(ctx context.Context, id uint64) (*store.QueuedMessage, error) {
	return adminCall[*store.QueuedMessage](ctx, c, pathQueueShow, queueIDArgs{id})
}

func (c *adminClient) QueueRetry(ctx context.Context, id uint64, all bool) (int, error) {
	r, err := adminCall[queueRetryResult](ctx, c, pathQueueRetry, queueRetryArgs{id, all})
	return r.Messages, err
}

func (c *adminClient) QueueDelete(ctx context.Context, id uint64) error {
	_, err := adminCall[noArgs](ctx, c, pathQueueDelete, queueIDArgs{id})
	return err
}

func (c *adminClient) QueueBounce(ctx context.Context, id uint64) error {
	_, err := adminCall[noArgs](ctx, c, pathQueueBounce, queueIDArgs{id})
	return err
}

func (c *cli) queueCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "queue", args, map[string]func(context.Context, []string) error{
		"list":   c.queueList,
		"show":   c.queueShow,
		"retry":  c.queueRetry,
		"delete": c.queueIDCmd("delete", "deleted", queueAdmin.QueueDelete),
		"bounce": c.queueIDCmd("bounce", "bounced", queueAdmin.QueueBounce),
	})
}

// queueID parses the ID argument of a queue subcommand.
func (c *cli) queueID(name string, args []string) (uint64, error) {
	arg, err := c.oneArg("queue "+name, "ID", args)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || id == 0 {
		return 0, usagef("queue %s: %q is not a queue ID (see mailserver queue list)", name, arg)
	}
	return id, nil
}

func (c *cli) queueIDCmd(name, past string, op func(queueAdmin, context.Context, uint64) error) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		id, err := c.queueID(name, args)
		if err != nil {
			return err
		}
		return c.withAdmin(ctx, func(a admin) error {
			if err := op(a, ctx, id); err != nil {
				return fmt.Errorf("queue %s: %w", name, err)
			}
			fmt.Fprintf(c.stdout, "%s message %d\n", past, id)
			return nil
		})
	}
}

func (c *cli) queueRetry(ctx context.Context, args []string) error {
	const synopsis = "ID|--all"
	fs := c.flags("queue retry", synopsis)
	all := fs.Bool("all", false, "retry every queued message")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	var id uint64
	switch {
	case *all && len(pos) == 0:
	case !*all && len(pos) == 1:
		if id, err = c.queueID("retry", pos); err != nil {
			return err
		}
	default:
		return usagef("queue retry: want an ID or --all; usage: mailserver queue retry %s", synopsis)
	}
	return c.withAdmin(ctx, func(a admin) error {
		n, err := a.QueueRetry(ctx, id, *all)
		if err != nil {
			return fmt.Errorf("queue retry: %w", err)
		}
		if *all {
			fmt.Fprintf(c.stdout, "retrying %d messages now\n", n)
		} else {
			fmt.Fprintf(c.stdout, "retrying message %d now\n", id)
		}
		return nil
	})
}

func (c *cli) queueList(ctx context.Context, args []string) error {
	if err := c.noArgs("queue list", args); err != nil {
		return err
	}
	return c.withAdmin(ctx, func(a admin) error {
		msgs, err := a.QueueList(ctx)
		if err != nil {
			return fmt.Errorf("queue list: %w", err)
		}
		return writeQueueList(c.stdout, msgs, time.Now())
	})
}

// writeQueueList prints one line per message and one indented line per
// recipient (in the spirit of Postfix's mailq).
func writeQueueList(w io.Writer, msgs []store.QueuedMessage, now time.Time) error {
	if len(msgs) == 0 {
		_, err := fmt.Fprintln(w, "queue is empty")
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-8s %-10s %10s  %s\n", "ID", "AGE", "SIZE", "SENDER")
	pending := 0
	for _, m := range msgs {
		fmt.Fprintf(bw, "%-8d %-10s %10d  %s\n", m.ID, age(now.Sub(m.Created)), m.Size, senderString(m.Sender))
		for _, r := range m.Recipients {
			detail := attempts(r.Attempts)
			if r.State.Pending() {
				pending++
				detail += ", next " + until(r.NextAttempt, now)
			}
			fmt.Fprintf(bw, "    %s: %s (%s)", r.Address, r.State, detail)
			if r.LastError != "" {
				fmt.Fprintf(bw, " %s", r.LastError)
			}
			fmt.Fprintln(bw)
		}
	}
	fmt.Fprintf(bw, "%d messages, %d recipients pending\n", len(msgs), pending)
	return bw.Flush()
}

func (c *cli) queueShow(ctx context.Context, args []string) error {
	id, err := c.queueID("show", args)
	if err != nil {
		return err
	}
	return c.withAdmin(ctx, func(a admin) error {
		m, err := a.QueueShow(ctx, id)
		if err != nil {
			return fmt.Errorf("queue show: %w", err)
		}
		writeQueueShow(c.stdout, m, time.Now())
		return nil
	})
}

func writeQueueShow(w io.Writer, m *store.QueuedMessage, now time.Time) {
	fmt.Fprintf(w, "id: %d\n", m.ID)
	fmt.Fprintf(w, "created: %s (%s ago)\n", m.Created.Local().Format(time.RFC3339), age(now.Sub(m.Created)))
	fmt.Fprintf(w, "size: %d\n", m.Size)
	fmt.Fprintf(w, "sender: %s\n", senderString(m.Sender))
	if m.EnvelopeID != "" {
		fmt.Fprintf(w, "envid: %s\n", m.EnvelopeID)
	}
	if m.Ret != "" {
		fmt.Fprintf(w, "ret: %s\n", m.Ret)
	}
	if m.SMTPUTF8 || m.Body8Bit {
		fmt.Fprintf(w, "smtputf8: %v\n8bitmime: %v\n", m.SMTPUTF8, m.Body8Bit)
	}
	for k, v := range m.Meta {
		fmt.Fprintf(w, "meta %s: %s\n", k, v)
	}
	for _, r := range m.Recipients {
		fmt.Fprintf(w, "\nrecipient: %s\n  state: %s\n  attempts: %d\n", r.Address, r.State, r.Attempts)
		if r.ORcpt != "" {
			fmt.Fprintf(w, "  orcpt: %s\n", r.ORcpt)
		}
		if len(r.Notify) > 0 {
			fmt.Fprintf(w, "  notify: %s\n", strings.Join(r.Notify, ","))
		}
		if !r.LastAttempt.IsZero() {
			fmt.Fprintf(w, "  last attempt: %s\n", r.LastAttempt.Local().Format(time.RFC3339))
		}
		if r.State.Pending() {
			fmt.Fprintf(w, "  next attempt: %s (%s)\n", r.NextAttempt.Local().Format(time.RFC3339), until(r.NextAttempt, now))
		}
		if r.LastCode != 0 {
			fmt.Fprintf(w, "  last reply: %d %s\n", r.LastCode, r.LastEnhanced)
		}
		if r.RemoteMTA != "" {
			fmt.Fprintf(w, "  remote mta: %s\n", r.RemoteMTA)
		}
		if r.LastError != "" {
			fmt.Fprintf(w, "  last error: %s\n", r.LastError)
		}
		if r.DelayWarned {
			fmt.Fprintf(w, "  delay warning sent\n")
		}
	}
}

func senderString(s string) string {
	if s == "" {
		return "<>"
	}
	return s
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// age prints a duration to the second.
func age(d time.Duration) string {
	return d.Round(time.Second).String()
}

// until prints when t comes, relative to now.
func until(t, now time.Time) string {
	if !t.After(now) {
		return "now"
	}
	return "in " + age(t.Sub(now))
}
