# Stand-in for caddy:2.11-alpine: the same Caddy release built from its Go module, and wget for
# the web image's health check.
ARG BASE
FROM ${BASE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wget \
 && rm -rf /var/lib/apt/lists/*
COPY caddy /usr/bin/caddy
RUN caddy version
