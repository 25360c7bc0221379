/**
 * The Helm release on a running cluster as deploy/cluster/check.sh describes it (the chart
 * installed, a TLS-terminating front before its web Service), and the commands that read it:
 * `kubectl …` in the release's namespace, and the release's pods as the API server lists them.
 */
import { existsSync } from 'node:fs';
import { output, run } from '../../stack/support/stack-env.ts';

export interface ClusterEnv {
  /** The front's HTTPS origin, e.g. https://localhost:19443. */
  url: string;
  /** Path of the front's root CA certificate (PEM). */
  caFile: string;
  kubeconfig: string;
  namespace: string;
  release: string;
  /** The kubelet's root directory: pod volumes are under pods/<uid>/volumes/. */
  kubeletRoot: string;
  /** The cluster's state directory: PersistentVolumes are volumes/pv0, pv1, … in it. */
  clusterDir: string;
}

const VARIABLES = {
  CLUSTER_URL: 'the HTTPS origin of the front before the web Service',
  CLUSTER_CA: 'the PEM file of that front’s root CA',
  KUBECONFIG: 'an admin kubeconfig of the cluster',
  CLUSTER_NAMESPACE: 'the namespace of the release',
  CLUSTER_RELEASE: 'the Helm release name',
  CLUSTER_KUBELET_ROOT: 'the kubelet’s root directory on this machine',
  CLUSTER_DIR: 'the cluster’s state directory (PersistentVolumes in volumes/pv*)',
};

export function clusterEnv(): ClusterEnv {
  const missing = Object.keys(VARIABLES).filter((k) => !process.env[k]);
  if (missing.length)
    throw new Error(
      `${missing.map((k) => `${k} (${VARIABLES[k as keyof typeof VARIABLES]})`).join(', ')} not set: ` +
        'bring a cluster up (scripts/cluster.sh start) and install the chart with deploy/cluster/check.sh, ' +
        'which sets them before it runs these tests',
    );
  const env = (k: keyof typeof VARIABLES) => process.env[k]!;
  for (const k of ['CLUSTER_CA', 'KUBECONFIG', 'CLUSTER_KUBELET_ROOT', 'CLUSTER_DIR'] as const)
    if (!existsSync(env(k)))
      throw new Error(`${k} names ${env(k)}, which does not exist: is the cluster up?`);
  return {
    url: env('CLUSTER_URL').replace(/\/$/, ''),
    caFile: env('CLUSTER_CA'),
    kubeconfig: env('KUBECONFIG'),
    namespace: env('CLUSTER_NAMESPACE'),
    release: env('CLUSTER_RELEASE'),
    kubeletRoot: env('CLUSTER_KUBELET_ROOT'),
    clusterDir: env('CLUSTER_DIR'),
  };
}

/** `kubectl` argv in the release's namespace. */
export function kubectlArgs(env: ClusterEnv, ...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', env.kubeconfig, '--namespace', env.namespace, ...args];
}

/** Runs kubectl in the release's namespace; it must succeed. Its standard output. */
export function kubectl(env: ClusterEnv, args: string[], timeoutMs = 60_000): Promise<Buffer> {
  return output(kubectlArgs(env, ...args), timeoutMs);
}

/** Runs kubectl in the release's namespace; the caller judges the exit code. */
export function tryKubectl(env: ClusterEnv, args: string[], timeoutMs = 60_000) {
  return run(kubectlArgs(env, ...args), timeoutMs);
}

/** A command in a container of a pod (`kubectl exec`); its standard output. */
export function podExec(
  env: ClusterEnv,
  pod: string,
  container: string,
  command: string[],
  timeoutMs = 60_000,
): Promise<Buffer> {
  return kubectl(env, ['exec', pod, '-c', container, '--', ...command], timeoutMs);
}

export interface ContainerState {
  name: string;
  restarts: number;
  ready: boolean;
  /** running, waiting or terminated */
  state: string;
}

export interface ReleasePod {
  name: string;
  uid: string;
  /** app.kubernetes.io/component: api, mls-ds, sfu, web, postgresql, redis (test: the helm test). */
  component: string;
  phase: string;
  /** Being deleted (kubectl shows Terminating). */
  terminating: boolean;
  ready: boolean;
  containers: ContainerState[];
  initContainers: ContainerState[];
  /** Names of the pod's emptyDir volumes. */
  emptyDirs: string[];
  podIp: string;
  hostNetwork: boolean;
  nodeName: string;
  createdAt: string;
}

interface PodJson {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    creationTimestamp: string;
  };
  spec: { volumes?: { name: string; emptyDir?: object }[]; hostNetwork?: boolean; nodeName?: string };
  status: {
    phase: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      restartCount: number;
      ready: boolean;
      state?: Record<string, unknown>;
    }[];
    initContainerStatuses?: {
      name: string;
      restartCount: number;
      ready: boolean;
      state?: Record<string, unknown>;
    }[];
  };
}

const containerStates = (list: PodJson['status']['containerStatuses']): ContainerState[] =>
  (list ?? []).map((c) => ({
    name: c.name,
    restarts: c.restartCount,
    ready: c.ready,
    state: Object.keys(c.state ?? {})[0] ?? 'unknown',
  }));

/** The release's pods (app.kubernetes.io/instance=<release>), Terminating ones included. */
export async function pods(env: ClusterEnv): Promise<ReleasePod[]> {
  const list = JSON.parse(
    (
      await kubectl(env, ['get', 'pods', '-l', `app.kubernetes.io/instance=${env.release}`, '-o', 'json'])
    ).toString('utf8'),
  ) as { items: PodJson[] };
  return list.items.map((p) => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    component: p.metadata.labels?.['app.kubernetes.io/component'] ?? '',
    phase: p.status.phase,
    terminating: !!p.metadata.deletionTimestamp,
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    containers: containerStates(p.status.containerStatuses),
    initContainers: containerStates(p.status.initContainerStatuses),
    emptyDirs: (p.spec.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name),
    podIp: p.status.podIP ?? '',
    hostNetwork: !!p.spec.hostNetwork,
    nodeName: p.spec.nodeName ?? '',
    createdAt: p.metadata.creationTimestamp,
  }));
}

/** The release's running, Ready, not Terminating pods of one component. */
export async function readyPods(env: ClusterEnv, component: string): Promise<ReleasePod[]> {
  return (await pods(env)).filter((p) => p.component === component && p.ready && !p.terminating);
}

/** One line per pod: component, name, phase, readiness, restarts. */
export function describePods(list: ReleasePod[]): string {
  return list
    .map(
      (p) =>
        `${p.component}/${p.name} ${p.terminating ? 'Terminating' : p.phase}${p.ready ? ' Ready' : ''}` +
        `${p.containers.some((c) => c.restarts) ? ` restarts ${p.containers.map((c) => `${c.name}:${c.restarts}`).join(',')}` : ''}`,
    )
    .join('; ');
}

/** An address as /proc/net/tcp or tcp6 writes it (little-endian hex words), dotted or colon form. */
export function fromProcNet(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const ipv4 = (w: string) =>
    w
      .match(/../g)!
      .reverse()
      .map((b) => Number.parseInt(b, 16))
      .join('.');
  if (words.length === 1) return ipv4(words[0]!);
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d): its IPv4 word last.
  if (hex.startsWith('0000000000000000FFFF0000')) return ipv4(words[3]!);
  const bytes = words.map((w) => w.match(/../g)!.reverse().join('')).join('');
  return bytes.match(/.{4}/g)!.join(':').toLowerCase();
}

/**
 * The remote addresses of a pod's established TCP connections to `port`, read from the pod's
 * /proc/net/tcp and tcp6 (`cat` in its container); undefined when the image has no `cat`.
 */
export async function podPeers(
  env: ClusterEnv,
  pod: string,
  container: string,
  port: number,
): Promise<string[] | undefined> {
  const result = await tryKubectl(env, [
    'exec',
    pod,
    '-c',
    container,
    '--',
    'cat',
    '/proc/net/tcp',
    '/proc/net/tcp6',
  ]);
  if (result.code !== 0) {
    if (/executable file not found|no such file/i.test(result.stderr)) return undefined;
    throw new Error(`reading /proc/net/tcp in ${pod}: ${result.stderr.slice(-300)}`);
  }
  const localPort = port.toString(16).toUpperCase().padStart(4, '0');
  const peers = new Set<string>();
  for (const line of result.stdout.toString('utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    // sl local_address rem_address st …; st 01 is ESTABLISHED.
    if (cols[1]?.endsWith(`:${localPort}`) && cols[3] === '01')
      peers.add(fromProcNet(cols[2]!.split(':')[0]!));
  }
  return [...peers];
}

/** The components the release runs, as its pods' app.kubernetes.io/component labels name them. */
export const RELEASE_COMPONENTS = ['api', 'mls-ds', 'sfu', 'web', 'postgresql', 'redis'];

/**
 * Waits until every component has a Ready pod that is not Terminating (the release may be in
 * the middle of an upgrade); the pods then.
 */
export async function releaseReady(env: ClusterEnv, timeoutMs = 600_000): Promise<ReleasePod[]> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const list = await pods(env).catch((e: Error) => {
      last = e.message;
      return undefined;
    });
    const missing = RELEASE_COMPONENTS.filter(
      (c) => !list?.some((p) => p.component === c && p.ready && !p.terminating),
    );
    if (list && missing.length === 0) {
      if (Date.now() - started > 3000)
        console.log(`release: every component Ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return list;
    }
    if (list) last = `no Ready ${missing.join(', ')}: ${describePods(list)}`;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `release ${env.release} in ${env.namespace} not Ready after ${timeoutMs / 1000} s; ${last}`,
      );
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The kubelet's directory of container logs on a node (its podLogsDir, read from its configz). */
export async function podLogsDir(env: ClusterEnv, node: string): Promise<string> {
  const result = await run(
    ['kubectl', '--kubeconfig', env.kubeconfig, 'get', '--raw', `/api/v1/nodes/${node}/proxy/configz`],
    30_000,
  );
  const config =
    result.code === 0
      ? (JSON.parse(result.stdout.toString('utf8')) as { kubeletconfig?: { podLogsDir?: string } })
      : {};
  return config.kubeletconfig?.podLogsDir || '/var/log/pods';
}
