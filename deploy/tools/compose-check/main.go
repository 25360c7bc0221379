// compose-check validates Compose files offline with compose-go, the library that
// `docker compose` itself uses to load a project: the Compose Specification JSON schema,
// variable interpolation, merging of several files, and the semantic checks (unknown
// services in depends_on, undefined networks, volumes, secrets and configs, ...).
//
// usage: compose-check [-env-file FILE] [-profile NAME]... FILE...
//
// On success it prints the normalised project as YAML (what `docker compose config` prints)
// to stdout and exits 0; on any error it prints the error and exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var envFiles, profiles list
	quiet := flag.Bool("q", false, "print nothing on success")
	flag.Var(&envFiles, "env-file", "env file for interpolation (repeatable)")
	flag.Var(&profiles, "profile", "profile to enable (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-q] [-env-file FILE] [-profile NAME] FILE...")
		os.Exit(2)
	}
	// Like `docker compose`, the project directory is the directory of the first file: relative
	// paths (env_file, volumes, build contexts) and the .env file are resolved from there.
	workdir, err := filepath.Abs(filepath.Dir(flag.Arg(0)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	opts, err := cli.NewProjectOptions(flag.Args(),
		cli.WithName("conclave"),
		cli.WithWorkingDirectory(workdir),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithOsEnv,
		cli.WithProfiles(profiles),
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
		cli.WithNormalization(true),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	out, err := project.MarshalYAML()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	if !*quiet {
		os.Stdout.Write(out)
	}
}
