package main

import (
	"context"
	"fmt"
)

// "mailserver user spam ADDRESS junk|inbox": where the spam filter's spam
// goes for a user. Through the admin socket of a running server, or
// straight to the database when none runs, like the other commands.

// spamAdmin is the spam part of the admin interface.
type spamAdmin interface {
	SetSpamToInbox(ctx context.Context, address string, inbox bool) error
}

var (
	_ spamAdmin = (*directAdmin)(nil)
	_ spamAdmin = (*adminClient)(nil)
)

const pathUserSpam = "/v1/user/spam"

type userSpamArgs struct {
	Address string
	Inbox   bool
}

// spamEndpoints are added to adminEndpoints.
func spamEndpoints() []adminEndpoint {
	return []adminEndpoint{
		endpoint(pathUserSpam, func(ctx context.Context, a admin, r userSpamArgs) (noArgs, error) {
			sa, ok := a.(spamAdmin)
			if !ok {
				return noArgs{}, fmt.Errorf("user spam: not supported here")
			}
			return done(sa.SetSpamToInbox(ctx, r.Address, r.Inbox))
		}),
	}
}

func (d *directAdmin) SetSpamToInbox(ctx context.Context, address string, inbox bool) error {
	return d.st.SetSpamToInbox(ctx, address, inbox)
}

func (c *adminClient) SetSpamToInbox(ctx context.Context, address string, inbox bool) error {
	_, err := adminCall[noArgs](ctx, c, pathUserSpam, userSpamArgs{address, inbox})
	return err
}

func (c *cli) userSpam(ctx context.Context, args []string) error {
	const synopsis = "ADDRESS junk|inbox"
	pos, err := parseArgs(c.flags("user spam", synopsis), synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || (pos[1] != "junk" && pos[1] != "inbox") {
		return usagef("user spam: usage: mailserver user spam %s (where mail the spam filter marks goes: the Junk folder, the default, or INBOX with its X-Spam headers)", synopsis)
	}
	inbox := pos[1] == "inbox"
	return c.withAdmin(ctx, func(a admin) error {
		sa, ok := a.(spamAdmin)
		if !ok {
			return fmt.Errorf("user spam: not supported by this admin connection")
		}
		if err := sa.SetSpamToInbox(ctx, pos[0], inbox); err != nil {
			return fmt.Errorf("user spam: %w", err)
		}
		where := "Junk"
		if inbox {
			where = "INBOX"
		}
		fmt.Fprintf(c.stdout, "spam for %s now goes to %s\n", pos[0], where)
		return nil
	})
}
