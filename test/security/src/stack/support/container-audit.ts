/**
 * Everything the stack's containers keep or wrote, fed to a Scanner: the logs of every service
 * (the one-shot migrate and the databases included), a PostgreSQL dump, every Redis key name and
 * value of every type, each container's filesystem changes (docker diff) and its tmpfs mounts,
 * and every named volume of the project. Read through the Docker CLI only.
 */
import type { Scanner } from '../../support/scan.ts';
import { REDIS_DUMP_COMMAND, type RedisKey, scanPgDump, scanRedisDump } from './dumps.ts';
import { containers, output, run, type ServiceContainer, type StackEnv } from './stack-env.ts';
import { tarEntries } from './tar.ts';

export interface AuditCounts {
  containers: number;
  logLines: Record<string, number>;
  dumpTables: number;
  dumpRows: number;
  redisKeys: number;
  /** Regular files read from the containers' writable layers (docker diff: added or changed). */
  changedFiles: number;
  /** Regular files read from the containers' tmpfs mounts. */
  tmpfsFiles: number;
  tmpfsMounts: number;
  volumes: number;
  volumeFiles: number;
  bytes: number;
  /** What could not be read, and why (e.g. an image without tar). */
  skipped: string[];
}

function newCounts(): AuditCounts {
  return {
    containers: 0,
    logLines: {},
    dumpTables: 0,
    dumpRows: 0,
    redisKeys: 0,
    changedFiles: 0,
    tmpfsFiles: 0,
    tmpfsMounts: 0,
    volumes: 0,
    volumeFiles: 0,
    bytes: 0,
    skipped: [],
  };
}

export class ContainerAudit {
  readonly counts = newCounts();
  readonly redisKeys: RedisKey[] = [];
  readonly #env: StackEnv;
  readonly #scanner: Scanner;

  constructor(env: StackEnv, scanner: Scanner) {
    this.#env = env;
    this.#scanner = scanner;
  }

  /** Every source, in turn; the named volumes (the slowest to read) unless left out. */
  async all(options: { volumes: boolean }): Promise<AuditCounts> {
    const list = await containers(this.#env);
    this.counts.containers = list.length;
    await this.logs(list);
    await this.postgres();
    await this.redis();
    for (const c of list) {
      const mounts = await this.#mounts(c);
      await this.changedFiles(c, [...mounts.volumes, ...mounts.tmpfs]);
      if (c.state === 'running') await this.tmpfs(c, mounts.tmpfs);
    }
    if (options.volumes) await this.volumes(list);
    this.counts.bytes = this.#scanner.stats.bytes;
    return this.counts;
  }

  async logs(list: ServiceContainer[]): Promise<void> {
    for (const service of new Set(list.map((c) => c.service))) {
      const result = await run(
        [...this.#env.compose, 'logs', '--no-color', '--no-log-prefix', '--timestamps', service],
        60_000,
      );
      if (result.code !== 0) throw new Error(`compose logs ${service}: ${result.stderr.slice(-400)}`);
      this.#scanner.scan(`logs ${service}`, result.stdout);
      this.#scanner.scan(`logs ${service} (stderr)`, result.stderr);
      this.counts.logLines[service] = result.stdout.toString('utf8').split('\n').filter(Boolean).length;
    }
  }

  /** `pg_dump` of the application database: schema and every row (COPY blocks). */
  async postgres(): Promise<string> {
    const dump = await output(
      [...this.#env.compose, 'exec', '-T', 'postgres', 'pg_dump', '-U', 'conclave', '-d', 'conclave'],
      120_000,
    );
    const { tables, rows, text } = scanPgDump(dump, this.#scanner);
    this.counts.dumpTables += tables;
    this.counts.dumpRows += rows;
    return text;
  }

  async redis(): Promise<RedisKey[]> {
    const raw = await output([...this.#env.compose, 'exec', '-T', 'redis', ...REDIS_DUMP_COMMAND], 60_000);
    const keys = scanRedisDump(raw, this.#scanner);
    this.redisKeys.push(...keys);
    this.counts.redisKeys += keys.length;
    return this.redisKeys;
  }

  async #mounts(c: ServiceContainer): Promise<{ volumes: string[]; tmpfs: string[] }> {
    const [inspected] = JSON.parse((await output(['docker', 'inspect', c.id])).toString('utf8')) as {
      Mounts: { Destination: string }[];
      HostConfig: { Tmpfs?: Record<string, string> };
    }[];
    return {
      volumes: (inspected?.Mounts ?? []).map((m) => m.Destination),
      tmpfs: Object.keys(inspected?.HostConfig.Tmpfs ?? {}),
    };
  }

  /**
   * The added and changed regular files of the container's writable layer (read with docker cp).
   * Mount points are left out: volumes and tmpfs mounts are read on their own.
   */
  async changedFiles(c: ServiceContainer, mounts: string[]): Promise<void> {
    const lines = (await output(['docker', 'diff', c.id])).toString('utf8').split('\n').filter(Boolean);
    const mounted = (p: string) => mounts.some((m) => p === m || p.startsWith(`${m}/`));
    const changed = lines.filter((l) => /^[AC] /.test(l)).map((l) => l.slice(2));
    for (const path of changed) this.#scanner.scan(`${c.service} changed path name`, path);
    // Only leaves: a path with changed children is a directory, and copying it would copy them
    // twice (and a mount point's parent would bring the mount along).
    const leaves = changed.filter((p) => !mounted(p) && !changed.some((q) => q.startsWith(`${p}/`)));
    for (const path of leaves) {
      const result = await run(['docker', 'cp', `${c.id}:${path}`, '-'], 60_000);
      if (result.code !== 0) {
        // Gone since docker diff ran (a pid file, a socket): nothing left to read.
        this.counts.skipped.push(`${c.service}:${path} (${result.stderr.trim().slice(0, 120)})`);
        continue;
      }
      for (const entry of tarEntries(result.stdout)) {
        if (entry.type !== '0') continue;
        this.counts.changedFiles++;
        this.#scanner.scan(`${c.service} file ${path}`, entry.data);
      }
    }
  }

  /** Every tmpfs mount of a running container (/tmp at least), as a tar made inside it. */
  async tmpfs(c: ServiceContainer, mounts: string[]): Promise<void> {
    for (const mount of mounts) {
      const result = await run(['docker', 'exec', c.id, 'tar', '-C', mount, '-c', '.'], 60_000);
      // GNU tar exits 1 when a file changed while it was read; 126/127: no tar in the image.
      if (result.code === 126 || result.code === 127) {
        this.counts.skipped.push(`${c.service}:${mount} (no tar in the image)`);
        continue;
      }
      if (result.code > 1 || result.stdout.length === 0)
        throw new Error(`tar of ${c.service}:${mount} exited ${result.code}: ${result.stderr.slice(-300)}`);
      this.counts.tmpfsMounts++;
      for (const entry of tarEntries(result.stdout)) {
        this.#scanner.scan(`${c.service} tmpfs name ${mount}/${entry.path}`, entry.path);
        if (entry.type !== '0') continue;
        this.counts.tmpfsFiles++;
        this.#scanner.scan(`${c.service} tmpfs ${mount}/${entry.path}`, entry.data);
      }
    }
  }

  /** Every named volume of the project, read-only, through a throwaway container of one of its images. */
  async volumes(list?: ServiceContainer[]): Promise<void> {
    list ??= await containers(this.#env);
    const names = (
      await output([
        'docker',
        'volume',
        'ls',
        '--quiet',
        '--filter',
        `label=com.docker.compose.project=${this.#env.project}`,
      ])
    )
      .toString('utf8')
      .split('\n')
      .filter(Boolean);
    // The PostgreSQL image: GNU tar, and root may read the database's 0700 directory.
    const image = list.find((c) => c.service === 'postgres')?.image;
    if (!image) throw new Error('no postgres container in the project: which image can read the volumes?');
    for (const volume of names) {
      const result = await run(
        [
          'docker',
          'run',
          '--rm',
          '--network',
          'none',
          '--user',
          '0:0',
          '--cap-drop',
          'ALL',
          '--cap-add',
          'DAC_READ_SEARCH',
          '--security-opt',
          'no-new-privileges:true',
          '-v',
          `${volume}:/v:ro`,
          '--entrypoint',
          'tar',
          image,
          '-C',
          '/v',
          '-c',
          '.',
        ],
        120_000,
      );
      if (result.code > 1 || result.stdout.length === 0)
        throw new Error(`tar of volume ${volume} exited ${result.code}: ${result.stderr.slice(-300)}`);
      this.counts.volumes++;
      for (const entry of tarEntries(result.stdout)) {
        this.#scanner.scan(`volume ${volume} name ${entry.path}`, entry.path);
        if (entry.type !== '0') continue;
        this.counts.volumeFiles++;
        this.#scanner.scan(`volume ${volume} ${entry.path}`, entry.data);
      }
    }
    this.counts.bytes = this.#scanner.stats.bytes;
  }
}
