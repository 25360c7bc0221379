/**
 * Fixed CPU budgets for benchmark processes with the Linux cgroup cpu controller: one group
 * per process, quota = budget × period, and a high weight so that the process gets its budget
 * even when other processes keep the machine busy. cgroup v1 (`<mount of cpu>/…/cpu.cfs_quota_us`) and
 * v2 (`cpu.max`) are supported. Groups are created next to the process's current group and
 * removed by `release()` (the processes are moved back first); `releaseAllSync()` is for exit
 * and signal handlers.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Scheduler period: short, so a throttled process waits at most a few ms at a time. */
export const PERIOD_US = 10_000;

type Flavour = 'v1' | 'v2';

interface Mount {
  flavour: Flavour;
  /** Where the groups are created. */
  base: string;
  /** The group the benchmark itself runs in: processes go back there at the end. */
  home: string;
}

function mounts(): { type: string; dir: string; options: string }[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length >= 4)
    .map((f) => ({ type: f[2]!, dir: f[1]!, options: f[3]! }));
}

/** The group path of this process in a hierarchy (`''` for v2's unified line). */
function ownGroup(controller: string | ''): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers === undefined || path === undefined) continue;
    if (controller === '' ? controllers === '' : controllers.split(',').includes(controller)) return path;
  }
  return undefined;
}

/** Finds a writable cpu controller, or says why there is none. */
export function findCpuController(): Mount | { unavailable: string } {
  const all = mounts();
  const v1 = all.find((m) => m.type === 'cgroup' && m.options.split(',').includes('cpu'));
  if (v1) {
    const base = join(v1.dir, ownGroup('cpu') ?? '/');
    if (existsSync(join(base, 'cpu.cfs_quota_us'))) return { flavour: 'v1', base, home: base };
    return { unavailable: `cgroup v1 cpu controller at ${v1.dir} has no cpu.cfs_quota_us` };
  }
  const v2 = all.find((m) => m.type === 'cgroup2');
  if (v2) {
    // A process may not sit in a group whose children get controllers ("no internal
    // processes"), so the groups go next to the root of the hierarchy when we are in it.
    const own = ownGroup('') ?? '/';
    const base = join(v2.dir, own === '/' ? '' : join(own, '..'));
    const controllers = readFileSync(join(base, 'cgroup.controllers'), 'utf8');
    if (!controllers.split(/\s+/).includes('cpu')) {
      return { unavailable: `cgroup v2 at ${base}: the cpu controller is not delegated here` };
    }
    return { flavour: 'v2', base, home: join(v2.dir, own) };
  }
  return { unavailable: 'no cgroup cpu controller is mounted' };
}

export interface CpuBudget {
  readonly pid: number;
  readonly dir: string;
  /** Times the group hit its quota and the throttled time in ms, from cpu.stat. */
  throttling(): { periods: number; throttled: number; throttledMs: number };
  release(): void;
}

const live = new Set<CpuBudget>();

/**
 * Puts `pid` into a new group limited to `fraction` of one core. Throws with the reason when
 * the controller is missing or not writable (the caller reports it; nothing is faked).
 */
export function limitCpu(pid: number, fraction: number, label: string): CpuBudget {
  const found = findCpuController();
  if ('unavailable' in found) throw new Error(found.unavailable);
  const dir = join(found.base, `conclave-bench-${process.pid}-${label}`);
  const quota = Math.max(1000, Math.round(fraction * PERIOD_US));
  mkdirSync(dir);
  const original = join(found.home, 'cgroup.procs');
  let released = false;
  const budget: CpuBudget = {
    pid,
    dir,
    throttling() {
      const stat = Object.fromEntries(
        readFileSync(join(dir, 'cpu.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' ') as [string, string]),
      );
      return found.flavour === 'v1'
        ? {
            periods: Number(stat.nr_periods),
            throttled: Number(stat.nr_throttled),
            throttledMs: Number(stat.throttled_time) / 1e6,
          }
        : {
            periods: Number(stat.nr_periods),
            throttled: Number(stat.nr_throttled),
            throttledMs: Number(stat.throttled_usec) / 1e3,
          };
    },
    release() {
      if (released) return;
      released = true;
      live.delete(budget);
      try {
        // Back to where the benchmark runs, if it is still alive; then the group is empty.
        if (existsSync(`/proc/${pid}`)) writeFileSync(original, `${pid}\n`);
      } catch {
        // The process exited in between.
      }
      try {
        rmdirSync(dir);
      } catch {
        // Still populated by an exiting process: retry once it is gone.
        setTimeout(() => {
          try {
            rmdirSync(dir);
          } catch {}
        }, 200).unref();
      }
    },
  };
  try {
    // The quota caps the process; a high weight makes sure it gets its quota on a busy machine,
    // so the budget is both a ceiling and (up to the machine's capacity) a floor.
    if (found.flavour === 'v1') {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), `${PERIOD_US}\n`);
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), `${quota}\n`);
      writeFileSync(join(dir, 'cpu.shares'), '10240\n');
    } else {
      const control = join(found.base, 'cgroup.subtree_control');
      if (!readFileSync(control, 'utf8').split(/\s+/).includes('cpu')) writeFileSync(control, '+cpu\n');
      writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}\n`);
      writeFileSync(join(dir, 'cpu.weight'), '10000\n');
    }
    writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`);
  } catch (error) {
    budget.release();
    throw error;
  }
  live.add(budget);
  return budget;
}

/** Removes every group still in place (exit and signal handlers). */
export function releaseAllSync(): void {
  for (const budget of [...live]) budget.release();
}
