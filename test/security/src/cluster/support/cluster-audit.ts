/**
 * Everything the release's pods keep or wrote, fed to a Scanner: the logs of every container of
 * every pod (init containers and the previous instance of a restarted container included), the
 * node's log files of the namespace's pods, a PostgreSQL dump and every Redis key and value (both
 * through `kubectl exec`), every file in each pod's emptyDir volumes and in the PersistentVolumes'
 * directories, both read from the node's filesystem.
 *
 * A pod that was deleted cannot be read afterwards: its logs and emptyDirs go with it. A test
 * that deletes one calls `keep` first, which reads the pod over and over until it is gone; what
 * it read last is scanned with the rest.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REDIS_DUMP_COMMAND, type RedisKey, scanPgDump, scanRedisDump } from '../../stack/support/dumps.ts';
import type { Scanner } from '../../support/scan.ts';
import { type ClusterEnv, podExec, podLogsDir, pods, type ReleasePod, tryKubectl } from './cluster-env.ts';

export interface ClusterAuditCounts {
  pods: number;
  /** Container logs read (`kubectl logs`), previous instances included. */
  containerLogs: number;
  /** Of which previous instances (`--previous`) of restarted containers. */
  previousLogs: number;
  /** Log lines by component, init containers as <component>/<container> (api/migrate). */
  logLines: Record<string, number>;
  /** Files under the kubelet's podLogsDir/<namespace>_*: what `kubectl logs` reads, rotated files included. */
  nodeLogFiles: number;
  dumpTables: number;
  dumpRows: number;
  redisKeys: number;
  emptyDirs: number;
  emptyDirFiles: number;
  persistentVolumes: number;
  persistentVolumeFiles: number;
  /** Deleted pods whose last logs and emptyDir files (read while they terminated) were scanned. */
  deletedPods: number;
  bytes: number;
  /** What could not be read, and why. */
  skipped: string[];
}

function newCounts(): ClusterAuditCounts {
  return {
    pods: 0,
    containerLogs: 0,
    previousLogs: 0,
    logLines: {},
    nodeLogFiles: 0,
    dumpTables: 0,
    dumpRows: 0,
    redisKeys: 0,
    emptyDirs: 0,
    emptyDirFiles: 0,
    persistentVolumes: 0,
    persistentVolumeFiles: 0,
    deletedPods: 0,
    bytes: 0,
    skipped: [],
  };
}

interface FileRead {
  path: string;
  data: Buffer;
}

/** Every regular file under `dir` (files that vanish while it is walked are passed over). */
async function filesUnder(dir: string): Promise<FileRead[]> {
  const found: FileRead[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    for (const entry of entries) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const data = await readFile(path).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        });
        if (data) found.push({ path, data });
      }
    }
  };
  await walk(dir);
  return found;
}

/** The node's directory of a pod's emptyDir volume. */
export function emptyDirPath(env: ClusterEnv, pod: ReleasePod, volume: string): string {
  return join(env.kubeletRoot, 'pods', pod.uid, 'volumes', 'kubernetes.io~empty-dir', volume);
}

interface LogRead {
  component: string;
  container: string;
  previous: boolean;
  text: Buffer;
}

/** Every container's log of a pod (init containers too; the previous instance where one restarted). */
async function podLogs(env: ClusterEnv, pod: ReleasePod, skipped: string[]): Promise<LogRead[]> {
  const reads: LogRead[] = [];
  const all = [
    ...pod.initContainers.map((c) => ({ ...c, init: true })),
    ...pod.containers.map((c) => ({ ...c, init: false })),
  ];
  for (const c of all) {
    for (const previous of c.restarts > 0 ? [false, true] : [false]) {
      const args = ['logs', pod.name, '-c', c.name, '--timestamps', ...(previous ? ['--previous'] : [])];
      const result = await tryKubectl(env, args);
      if (result.code !== 0) {
        skipped.push(
          `logs of ${pod.name}/${c.name}${previous ? ' (previous)' : ''}: ${result.stderr.trim().slice(0, 160)}`,
        );
        continue;
      }
      reads.push({
        component: c.init ? `${pod.component}/${c.name}` : pod.component,
        container: c.name,
        previous,
        text: result.stdout,
      });
    }
  }
  return reads;
}

/** What a deleted pod left, read while it terminated. */
interface Kept {
  pod: ReleasePod;
  logs: LogRead[];
  files: { volume: string; files: FileRead[] }[];
  reads: number;
}

const kept: Kept[] = [];

/** Reads a pod's logs and emptyDir files into `entry`; false once the API server no longer lists it. */
async function readKept(env: ClusterEnv, entry: Kept): Promise<boolean> {
  const current = (await pods(env)).find((p) => p.uid === entry.pod.uid);
  if (!current) return false;
  const logs = await podLogs(env, current, []);
  if (logs.length) entry.logs = logs;
  const files = [];
  for (const volume of current.emptyDirs)
    files.push({ volume, files: await filesUnder(emptyDirPath(env, current, volume)) });
  // Once the kubelet has removed the volumes, the earlier read stands.
  if (files.some((f) => f.files.length) || entry.files.length === 0) entry.files = files;
  entry.reads++;
  return true;
}

/**
 * Reads a pod's logs and emptyDir files now (call it just before deleting the pod), then every
 * second until the API server no longer lists it; the last read is scanned by every later audit.
 * `gone` resolves once the pod is gone, with how many times it was read.
 */
export async function keep(
  env: ClusterEnv,
  pod: ReleasePod,
  deadlineMs = 180_000,
): Promise<{ gone: Promise<number> }> {
  const entry: Kept = { pod, logs: [], files: [], reads: 0 };
  kept.push(entry);
  if (!(await readKept(env, entry))) throw new Error(`${pod.name} is already gone`);
  const until = Date.now() + deadlineMs;
  const gone = (async () => {
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!(await readKept(env, entry))) break;
    }
    return entry.reads;
  })();
  return { gone };
}

export class ClusterAudit {
  readonly counts = newCounts();
  readonly redisKeys: RedisKey[] = [];
  readonly #env: ClusterEnv;
  readonly #scanner: Scanner;

  constructor(env: ClusterEnv, scanner: Scanner) {
    this.#env = env;
    this.#scanner = scanner;
  }

  /** Every source, in turn; the PersistentVolumes (the slowest to read) unless left out. */
  async all(options: { persistentVolumes: boolean }): Promise<ClusterAuditCounts> {
    const list = await pods(this.#env);
    this.counts.pods = list.length;
    for (const pod of list) await this.logs(pod);
    await this.nodeLogFiles(list);
    await this.postgres(list);
    await this.redis(list);
    for (const pod of list) await this.emptyDirs(pod);
    this.deletedPods();
    if (options.persistentVolumes) await this.persistentVolumes();
    this.counts.bytes = this.#scanner.stats.bytes;
    return this.counts;
  }

  #scanLogs(where: string, reads: LogRead[]): void {
    for (const r of reads) {
      this.#scanner.scan(`${where}/${r.container}${r.previous ? ' (previous)' : ''}`, r.text);
      this.counts.containerLogs++;
      if (r.previous) this.counts.previousLogs++;
      this.counts.logLines[r.component] =
        (this.counts.logLines[r.component] ?? 0) + r.text.toString('utf8').split('\n').filter(Boolean).length;
    }
  }

  async logs(pod: ReleasePod): Promise<void> {
    this.#scanLogs(`logs ${pod.component} ${pod.name}`, await podLogs(this.#env, pod, this.counts.skipped));
  }

  /** The node's files of the namespace's pods' logs (rotated ones too): <podLogsDir>/<ns>_<pod>_<uid>/. */
  async nodeLogFiles(list: ReleasePod[]): Promise<void> {
    for (const node of new Set(list.map((p) => p.nodeName).filter(Boolean))) {
      const base = await podLogsDir(this.#env, node);
      const dirs = (await readdir(base).catch(() => [] as string[])).filter((d) =>
        d.startsWith(`${this.#env.namespace}_`),
      );
      if (!dirs.length) this.counts.skipped.push(`${base}: no directory of namespace ${this.#env.namespace}`);
      for (const dir of dirs)
        for (const f of await filesUnder(join(base, dir))) {
          this.counts.nodeLogFiles++;
          this.#scanner.scan(`node log file ${f.path}`, f.data);
        }
    }
  }

  #one(list: ReleasePod[], component: string): ReleasePod {
    const pod = list.find((p) => p.component === component && p.phase === 'Running' && !p.terminating);
    if (!pod)
      throw new Error(`no running ${component} pod in the release: ${list.map((p) => p.name).join(', ')}`);
    return pod;
  }

  /** `pg_dump` of the application database in the PostgreSQL pod: schema and every row. */
  async postgres(list?: ReleasePod[]): Promise<string> {
    const pod = this.#one(list ?? (await pods(this.#env)), 'postgresql');
    const dump = await podExec(
      this.#env,
      pod.name,
      'postgresql',
      ['sh', '-c', 'exec pg_dump -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
      120_000,
    );
    const { tables, rows, text } = scanPgDump(dump, this.#scanner);
    this.counts.dumpTables += tables;
    this.counts.dumpRows += rows;
    return text;
  }

  async redis(list?: ReleasePod[]): Promise<RedisKey[]> {
    const pod = this.#one(list ?? (await pods(this.#env)), 'redis');
    const keys = scanRedisDump(
      await podExec(this.#env, pod.name, 'redis', REDIS_DUMP_COMMAND),
      this.#scanner,
    );
    this.redisKeys.push(...keys);
    this.counts.redisKeys += keys.length;
    return keys;
  }

  #scanFiles(where: string, root: string, files: FileRead[]): void {
    for (const f of files) {
      const relative = f.path.slice(root.length + 1);
      this.#scanner.scan(`${where} name ${relative}`, relative);
      this.#scanner.scan(`${where} ${relative}`, f.data);
    }
  }

  /** Every file of the pod's emptyDir volumes (tmpfs-backed ones too), from the node's filesystem. */
  async emptyDirs(pod: ReleasePod): Promise<void> {
    for (const volume of pod.emptyDirs) {
      const root = emptyDirPath(this.#env, pod, volume);
      const files = await filesUnder(root);
      this.counts.emptyDirs++;
      this.counts.emptyDirFiles += files.length;
      this.#scanFiles(`emptyDir ${pod.component} ${pod.name} ${volume}`, root, files);
    }
  }

  /** What deleted pods left (see `keep`). */
  deletedPods(): void {
    for (const k of kept) {
      this.counts.deletedPods++;
      this.#scanLogs(`logs (deleted pod) ${k.pod.component} ${k.pod.name}`, k.logs);
      for (const { volume, files } of k.files)
        this.#scanFiles(
          `emptyDir (deleted pod) ${k.pod.component} ${k.pod.name} ${volume}`,
          emptyDirPath(this.#env, k.pod, volume),
          files,
        );
    }
  }

  /** Every file of every PersistentVolume directory of the cluster (volumes/pv*). */
  async persistentVolumes(): Promise<void> {
    const base = join(this.#env.clusterDir, 'volumes');
    for (const dir of (await readdir(base)).sort()) {
      const root = join(base, dir);
      const files = await filesUnder(root);
      this.counts.persistentVolumes++;
      this.counts.persistentVolumeFiles += files.length;
      this.#scanFiles(`pv ${dir}`, root, files);
    }
    this.counts.bytes = this.#scanner.stats.bytes;
  }
}

/** One line of what an audit read. */
export function describeCounts(c: ClusterAuditCounts): string {
  const logs = Object.entries(c.logLines)
    .sort()
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return (
    `${c.pods} pods, ${c.containerLogs} container logs (${c.previousLogs} previous); log lines: ${logs}; ` +
    `${c.nodeLogFiles} node log files; pg_dump ${c.dumpTables} tables / ${c.dumpRows} rows; ${c.redisKeys} Redis keys; ` +
    `${c.emptyDirFiles} files in ${c.emptyDirs} emptyDirs; ${c.persistentVolumeFiles} files in ${c.persistentVolumes} ` +
    `PersistentVolumes; ${c.deletedPods} deleted pods' last reads; ${c.bytes} bytes`
  );
}
