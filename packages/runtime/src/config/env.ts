import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads a service's configuration from environment variables against a TypeBox object schema
 * whose property names are the variable names. Defaults are applied and numbers/booleans
 * converted; every problem is reported at once with the variable's name.
 */
export function loadConfig<T extends TSchema>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const known = Object.keys((schema as unknown as { properties: Record<string, unknown> }).properties);
  const raw: Record<string, unknown> = {};
  for (const key of known) if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  const value = Value.Convert(schema, Value.Default(schema, raw));
  if (Value.Check(schema, value)) return value as Static<T>;
  const problems = [...Value.Errors(schema, value)].map(
    (e) => `${e.instancePath.replace(/^\//, '') || '(root)'}: ${e.message}`,
  );
  throw new ConfigError(problems);
}
