/**
 * How each running container is confined, from `docker inspect`, compared with what compose.yaml
 * declares (`docker compose config`): a non-root user, a read-only root filesystem, every
 * capability dropped and only the declared ones added back, no-new-privileges, not privileged.
 */
import { containers, output, type StackEnv } from './stack-env.ts';

interface Inspected {
  Config: { User: string };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Privileged: boolean;
  };
}

interface DeclaredService {
  read_only?: boolean;
  cap_add?: string[];
}

export interface Confinement {
  service: string;
  user: string;
  /** The user IDs the container's processes run as (docker top). */
  processUids: string[];
  readOnly: boolean;
  capAdd: string[];
  problems: string[];
}

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

/** The services whose entrypoint starts as root and switches user itself (compose.yaml says why). */
const SWITCHES_USER: Record<string, string> = { postgres: 'postgres' };

export async function confinement(env: StackEnv): Promise<Confinement[]> {
  const config = JSON.parse(
    (await output([...env.compose, 'config', '--format', 'json'])).toString('utf8'),
  ) as {
    services: Record<string, DeclaredService>;
  };
  const running = (await containers(env)).filter((c) => c.state === 'running');
  const results: Confinement[] = [];
  for (const c of running) {
    const [info] = JSON.parse((await output(['docker', 'inspect', c.id])).toString('utf8')) as Inspected[];
    const declared = config.services[c.service];
    const problems: string[] = [];
    if (!info || !declared) throw new Error(`${c.service}: not inspected or not in compose config`);
    const host = info.HostConfig;
    // docker top needs the pid column.
    const top = (await output(['docker', 'top', c.id, '-eo', 'pid,uid,comm'])).toString('utf8');
    const processUids = [
      ...new Set(
        top
          .split('\n')
          .slice(1)
          .filter(Boolean)
          .map((l) => l.trim().split(/\s+/)[1]!),
      ),
    ];
    const user = info.Config.User;
    const switchesTo = SWITCHES_USER[c.service];
    if (switchesTo) {
      const uid = (await output(['docker', 'exec', c.id, 'id', '-u', switchesTo])).toString('utf8').trim();
      if (processUids.length === 0 || processUids.some((u) => u !== uid))
        problems.push(`processes run as uids ${processUids.join(',')}, not only ${switchesTo} (${uid})`);
    } else {
      const name = user.split(':')[0] ?? '';
      if (['', '0', 'root'].includes(name)) problems.push(`Config.User is "${user}" (root)`);
    }
    if (processUids.includes('0')) problems.push(`a process runs as uid 0: ${top.trim()}`);
    // The exception (compose.yaml: read_only: false) holds only for a service that switches user.
    if (!switchesTo) {
      if (declared.read_only !== true) problems.push('compose.yaml does not declare read_only');
      if (!host.ReadonlyRootfs) problems.push('root filesystem is writable');
    }
    if (!(host.CapDrop ?? []).map(capName).includes('ALL'))
      problems.push(`CapDrop ${JSON.stringify(host.CapDrop)}`);
    const added = (host.CapAdd ?? []).map(capName).sort();
    const allowed = (declared.cap_add ?? []).map(capName).sort();
    if (JSON.stringify(added) !== JSON.stringify(allowed))
      problems.push(`CapAdd ${JSON.stringify(added)}, compose.yaml declares ${JSON.stringify(allowed)}`);
    if (!(host.SecurityOpt ?? []).some((o) => /^no-new-privileges(:true|=true)?$/.test(o)))
      problems.push(`SecurityOpt ${JSON.stringify(host.SecurityOpt)} lacks no-new-privileges`);
    if (host.Privileged) problems.push('privileged');
    results.push({
      service: c.service,
      user,
      processUids,
      readOnly: host.ReadonlyRootfs,
      capAdd: added,
      problems,
    });
  }
  return results;
}
