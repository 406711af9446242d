package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/modules/auth"
	"github.com/srgplatform/srg/modules/tenants"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func userFlags(fs *flag.FlagSet) {
	tenantFlag(fs)
	fs.String("email", "", "the person's email address, their sign-in name (required)")
	fs.String("name", "", "with add: the person's name (required)")
	fs.String("phone", "", "with add: the mobile number that gets sign-in codes, in E.164 form such as +15555550100 (required)")
	fs.String("role", "owner", "with add: owner, admin, marketer, analyst or viewer")
}

// runUser is `srg user add` (a person joins a tenant with a role and a password) and
// `srg user passwd` (a new password; the person's sessions end).
func runUser(env *cliEnv, fs *flag.FlagSet, args []string) error {
	if len(args) != 1 || (args[0] != "add" && args[0] != "passwd") {
		return fmt.Errorf("%w: want add or passwd", errUsage)
	}
	email := strings.TrimSpace(stringFlag(fs, "email"))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return fmt.Errorf("%w: --email %q is not an email address", errUsage, email)
	}
	if args[0] == "passwd" {
		password, err := env.readPassword()
		if err != nil {
			return err
		}
		return env.withBuilt(func(ctx context.Context, p *Platform) error {
			if err := p.Auth.Service().SetPassword(ctx, email, password); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "password of %s set; their sessions were ended\n", email)
			return nil
		})
	}

	m := tenants.NewUser{Email: email, Name: strings.TrimSpace(stringFlag(fs, "name")), Phone: stringFlag(fs, "phone"), Role: stringFlag(fs, "role")}
	switch {
	case m.Name == "":
		return fmt.Errorf("%w: --name is required", errUsage)
	case !e164.MatchString(m.Phone):
		return fmt.Errorf("%w: --phone %q must be in E.164 form such as +15555550100", errUsage, m.Phone)
	case !slices.Contains(config.Roles, m.Role):
		return fmt.Errorf("%w: --role must be one of %s", errUsage, strings.Join(config.Roles, ", "))
	}
	if stringFlag(fs, "tenant") == "" {
		return fmt.Errorf("%w: --tenant is required", errUsage)
	}
	password, err := env.readPassword()
	if err != nil {
		return err
	}
	return withPlatform(env, fs, func(ctx context.Context, p *Platform, tenantID int64) error {
		created, err := p.Tenants.Service().AddMember(ctx, tenantID, m, "cli")
		if err != nil {
			return err
		}
		if err := p.Auth.Service().SetPassword(ctx, email, password); err != nil {
			return err
		}
		verb := "updated"
		if created {
			verb = "added"
		}
		fmt.Fprintf(env.stdout, "%s %s: %s of %s, password set\n", verb, email, m.Role, stringFlag(fs, "tenant"))
		return nil
	})
}

// readPassword takes the password from $SRG_USER_PASSWORD, else from standard input:
// typed twice without echo on a terminal, or the first line of a pipe.
func (env *cliEnv) readPassword() (string, error) {
	for _, kv := range env.environ {
		if v, ok := strings.CutPrefix(kv, config.EnvUserPassword+"="); ok {
			return v, auth.CheckNewPassword(v)
		}
	}
	if fd := int(env.stdin.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(env.stderr, "New password: ")
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(env.stderr, "Again: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), auth.CheckNewPassword(string(first))
	}
	line, err := bufio.NewReader(io.LimitReader(env.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password: give it on standard input or in $%s", config.EnvUserPassword)
	}
	return line, auth.CheckNewPassword(line)
}
