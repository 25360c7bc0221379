import { readFileSync } from 'node:fs';
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
 * What a service's entry point does with its configuration: `load` it, or, when it throws a
 * ConfigError, print the problems and exit with code 78 (EX_CONFIG) before anything starts.
 */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    return exitOnConfigError(error);
  }
}

/**
 * The same for an entry point whose configuration is read while it starts (a rejected start):
 * `start().catch(exitOnConfigError)`. Any other error is thrown on.
 */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}

/**
 * Reads a service's configuration from environment variables against a TypeBox object schema
 * whose property names are the variable names. Defaults are applied and numbers/booleans
 * converted; every problem is reported at once with the variable's name.
 *
 * Any variable may instead be given as `<NAME>_FILE`, the path of a file holding the value (how
 * Docker and Kubernetes mount secrets); surrounding white space is trimmed.
 */
export function loadConfig<T extends TSchema>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const properties = (schema as unknown as { properties: Record<string, { type?: unknown }> }).properties;
  const known = Object.keys(properties);
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of known) {
    const file = env[`${key}_FILE`];
    if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
    else if (file) {
      try {
        raw[key] = readFileSync(file, 'utf8').trim();
      } catch (error) {
        problems.push(
          `${key}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }
  }
  // Value.Convert truncates "12.5" to 12 for an integer; a person who wrote 12.5 meant something else.
  for (const [key, given] of Object.entries(raw)) {
    if (
      properties[key]?.type === 'integer' &&
      typeof given === 'string' &&
      !/^[+-]?\d+$/.test(given.trim())
    ) {
      problems.push(`${key}: must be a whole number, got "${given}"`);
    }
  }
  const value = Value.Convert(schema, Value.Default(schema, raw));
  if (problems.length === 0 && Value.Check(schema, value)) return value as Static<T>;
  problems.push(
    ...[...Value.Errors(schema, value)].map(
      (e) => `${e.instancePath.replace(/^\//, '') || '(root)'}: ${e.message}`,
    ),
  );
  throw new ConfigError(problems);
}
