package main

import (
	"context"
	"fmt"
)

// "mailserver user admin ADDRESS [--off]": whether a user may run the
// server from the webmail's administration pages (store.User.Admin).
// "user add --admin" sets it when creating the account. Through the admin
// socket of a running server, or straight to the database when none runs,
// like the other commands.

// userAdminFlag is the admin-flag part of the admin interface.
type userAdminFlag interface {
	SetAdmin(ctx context.Context, address string, admin bool) error
}

var (
	_ userAdminFlag = (*directAdmin)(nil)
	_ userAdminFlag = (*adminClient)(nil)
)

const pathUserAdmin = "/v1/user/admin"

type userAdminArgs struct {
	Address string
	Admin   bool
}

// userAdminEndpoints are added to adminEndpoints.
func userAdminEndpoints() []adminEndpoint {
	return []adminEndpoint{
		endpoint(pathUserAdmin, func(ctx context.Context, a admin, r userAdminArgs) (noArgs, error) {
			fa, ok := a.(userAdminFlag)
			if !ok {
				return noArgs{}, fmt.Errorf("user admin: not supported here")
			}
			return done(fa.SetAdmin(ctx, r.Address, r.Admin))
		}),
	}
}

func (d *directAdmin) SetAdmin(ctx context.Context, address string, admin bool) error {
	return d.st.SetAdmin(ctx, address, admin)
}

func (c *adminClient) SetAdmin(ctx context.Context, address string, admin bool) error {
	_, err := adminCall[noArgs](ctx, c, pathUserAdmin, userAdminArgs{address, admin})
	return err
}

// setAdmin sets the flag through a, which must support it.
func setAdmin(ctx context.Context, a admin, address string, on bool) error {
	fa, ok := a.(userAdminFlag)
	if !ok {
		return fmt.Errorf("not supported by this admin connection")
	}
	return fa.SetAdmin(ctx, address, on)
}

func (c *cli) userAdmin(ctx context.Context, args []string) error {
	const synopsis = "ADDRESS [--off]"
	fs := c.flags("user admin", synopsis)
	off := fs.Bool("off", false, "take the administrator right away instead of giving it")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user admin: want one ADDRESS; usage: mailserver user admin %s "+
			"(an administrator may run the server from the webmail's administration pages)", synopsis)
	}
	return c.withAdmin(ctx, func(a admin) error {
		if err := setAdmin(ctx, a, pos[0], !*off); err != nil {
			return fmt.Errorf("user admin: %w", err)
		}
		if *off {
			fmt.Fprintf(c.stdout, "%s is no longer an administrator\n", pos[0])
		} else {
			fmt.Fprintf(c.stdout, "%s is now an administrator (webmail administration pages)\n", pos[0])
		}
		return nil
	})
}
