// dockerfile-check parses Dockerfiles with BuildKit's own Dockerfile frontend (the parser and
// instruction compiler `docker build` uses) and runs its build checks (the rules behind
// `docker build --check`), without a Docker engine. Any parse error or check warning fails.
//
// usage: dockerfile-check FILE...
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func check(path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	result, err := parser.Parse(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		return 1
	}
	problems := 0
	for _, w := range result.Warnings {
		fmt.Fprintf(os.Stderr, "%s:%d: %s\n", path, w.Location.Start.Line, w.Short)
		problems++
	}
	lint := linter.New(&linter.Config{
		Warn: func(rule, description, url, msg string, location []parser.Range) {
			line := 0
			if len(location) > 0 {
				line = location[0].Start.Line
			}
			fmt.Fprintf(os.Stderr, "%s:%d: %s: %s\n", path, line, rule, msg)
			problems++
		},
	})
	stages, metaArgs, err := instructions.Parse(result.AST, lint)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		return 1
	}
	names := map[string]bool{}
	for _, s := range stages {
		if s.Name != "" {
			names[s.Name] = true
		}
	}
	for _, s := range stages {
		for _, cmd := range s.Commands {
			if c, ok := cmd.(*instructions.CopyCommand); ok && c.From != "" && !names[c.From] {
				fmt.Fprintf(os.Stderr, "%s: COPY --from=%s names no stage of this file\n", path, c.From)
				problems++
			}
		}
	}
	if problems > 0 {
		return 1
	}
	fmt.Printf("ok %s (%d stages, %d global args)\n", path, len(stages), len(metaArgs))
	return 0
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dockerfile-check FILE...")
		os.Exit(2)
	}
	rc := 0
	for _, p := range os.Args[1:] {
		rc |= check(p)
	}
	os.Exit(rc)
}
