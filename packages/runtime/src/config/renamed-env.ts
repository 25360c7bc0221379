import type { Logger } from 'pino';

type Env = Record<string, string | undefined>;

/** Old names already warned about in this process: one warning per name, however often config loads. */
const warned = new Set<string>();

/**
 * Accepts the former names of renamed environment variables for one release. Returns a copy of
 * `env` in which each new name (and its `<NAME>_FILE` form) takes the old name's value when it
 * is set in neither form; the new name wins when both are. Each old name in use is logged once.
 * `renames` maps old names to new ones.
 */
export function acceptRenamedEnv(env: Env, renames: Record<string, string>, log: Pick<Logger, 'warn'>): Env {
  const out: Env = { ...env };
  const given = (name: string) => Boolean(env[name]) || Boolean(env[`${name}_FILE`]);
  for (const [from, to] of Object.entries(renames)) {
    if (!given(from)) continue;
    if (!given(to)) {
      out[to] = env[from];
      out[`${to}_FILE`] = env[`${from}_FILE`];
    }
    if (!warned.has(from)) {
      warned.add(from);
      log.warn(
        { event: 'env_renamed' },
        `${from} is deprecated and will stop working in the next release: use ${to}`,
      );
    }
  }
  return out;
}
