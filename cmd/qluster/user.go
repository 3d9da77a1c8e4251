package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/server"
)

// runUserCreate adds a user; the password comes from --password,
// --password-stdin or a prompt.
func runUserCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("qluster user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	cfg.bind(fs)
	email := fs.String("email", "", "the user's email (required)")
	typ := fs.String("type", "superuser", "superuser, editor, limited_to_source, read_only or billing")
	password := fs.String("password", "", "the password (visible in the process list: prefer --password-stdin or the prompt)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *email == "" {
		fmt.Fprintln(stderr, "qluster user create: --email is required")
		return 2
	}
	pw, err := readPassword(*password, *fromStdin, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "qluster user create: %v\n", err)
		return 2
	}
	be, err := cfg.open(ctx, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintf(stderr, "qluster user create: %v\n", err)
		return 1
	}
	defer be.Close(ctx, false)
	u, err := server.CreateUser(ctx, be.Store, *email, qluster.UserType(*typ), pw)
	if err != nil {
		fmt.Fprintf(stderr, "qluster user create: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "created %s user %s (id %s)\n", u.UserType, u.Email, u.ID)
	return 0
}

func readPassword(flagValue string, fromStdin bool, stdin io.Reader, stderr io.Writer) (string, error) {
	switch {
	case flagValue != "" && fromStdin:
		return "", errors.New("pass --password or --password-stdin, not both")
	case flagValue != "":
		return flagValue, nil
	case fromStdin:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no password: pass --password-stdin (and the password on stdin) or run in a terminal to be asked")
	}
	fmt.Fprint(stderr, "Password: ")
	a, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(stderr, "Password again: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", errors.New("the two passwords do not match")
	}
	return string(a), nil
}
