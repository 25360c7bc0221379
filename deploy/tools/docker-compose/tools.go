//go:build tools

// Package tools pins the Docker Compose v2 CLI for CI machines that have a Docker engine but no
// Compose plugin. `go install github.com/docker/compose/v5/cmd@v5.6.0` is refused because the
// module's go.mod has exclude directives; this module requires it and repeats them, so
// `go build github.com/docker/compose/v5/cmd` builds the plugin (deploy/stack/install-compose.sh).
package tools

import _ "github.com/docker/compose/v5/cmd"
