# Stand-in for redis:7.4-bookworm: Debian's redis-server (7.0), same command names, no
# entrypoint of its own (compose.yaml gives the command).
ARG BASE
FROM ${BASE}
# uid/gid 999 as in the official image (the Helm chart runs the container as 999).
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid 999 --home-dir /var/lib/redis --shell /usr/sbin/nologin redis \
 && printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d && mkdir -p /data
WORKDIR /data
CMD ["redis-server"]
