/**
 * The running compose stack as deploy/stack/stack.sh describes it (`eval "$(stack.sh env)"`),
 * and the commands that read it: `docker compose …` through STACK_COMPOSE, plain `docker …`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface StackEnv {
  /** The web container's HTTPS origin, e.g. https://localhost:18443. */
  url: string;
  /** Path of Caddy's internal root CA certificate (PEM). */
  caFile: string;
  /** The compose project name (container and volume names start with it). */
  project: string;
  /** `docker compose` with the stack's project, file and env file: split into argv. */
  compose: string[];
}

export function stackEnv(): StackEnv {
  const missing = ['STACK_URL', 'STACK_CA', 'STACK_PROJECT', 'STACK_COMPOSE'].filter((k) => !process.env[k]);
  if (missing.length)
    throw new Error(
      `${missing.join(', ')} not set: start the stack (deploy/stack/stack.sh up) and run ` +
        '`eval "$(deploy/stack/stack.sh env)"` first, or use deploy/stack/check.sh',
    );
  const caFile = process.env['STACK_CA']!;
  if (!existsSync(caFile))
    throw new Error(`STACK_CA names ${caFile}, which does not exist: is the stack up?`);
  return {
    url: process.env['STACK_URL']!.replace(/\/$/, ''),
    caFile,
    project: process.env['STACK_PROJECT']!,
    compose: process.env['STACK_COMPOSE']!.split(/\s+/).filter(Boolean),
  };
}

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command without a shell; never throws for a non-zero exit (the caller decides). */
export function run(argv: string[], timeoutMs = 60_000): Promise<RunResult> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(
      file!,
      args,
      { encoding: 'buffer', maxBuffer: 1 << 30, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && code === -1 && !stdout.length)
          reject(new Error(`${argv.slice(0, 4).join(' ')}…: ${error.message}`, { cause: error }));
        else resolve({ code, stdout, stderr: stderr.toString('utf8') });
      },
    );
  });
}

/** Runs a command that must succeed; its standard output. */
export async function output(argv: string[], timeoutMs = 60_000): Promise<Buffer> {
  const result = await run(argv, timeoutMs);
  if (result.code !== 0)
    throw new Error(
      `\`${argv.slice(0, 6).join(' ')}\` exited with ${result.code}: ${result.stderr.slice(-600)}`,
    );
  return result.stdout;
}

export interface ServiceContainer {
  service: string;
  id: string;
  name: string;
  state: string;
  image: string;
}

/** Every container of the project, running or exited (the one-shot `migrate` included). */
export async function containers(env: StackEnv): Promise<ServiceContainer[]> {
  const text = (await output([...env.compose, 'ps', '--all', '--format', 'json'])).toString('utf8').trim();
  // Compose prints one JSON object per line (older versions: one array).
  const rows: Record<string, string>[] = text.startsWith('[')
    ? JSON.parse(text)
    : text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
  return rows.map((r) => ({
    service: r['Service']!,
    id: r['ID']!,
    name: r['Name']!,
    state: r['State']!,
    image: r['Image']!,
  }));
}
