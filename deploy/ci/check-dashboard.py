"""Checks that every metric a Grafana dashboard queries is one the services export.

usage: check-dashboard.py DASHBOARD.json --source REPO_ROOT
       check-dashboard.py DASHBOARD.json --metrics FILE...   (Prometheus text scraped from /metrics)

With --source the known names are read from the services' metric definitions (prom-client
`name: '...'` and the `prefix` given to collectDefaultMetrics); with --metrics, from live
scrapes, which is stricter (a metric that is defined but never exported fails).
"""
import glob
import json
import re
import sys

# prom-client's default metrics (collectDefaultMetrics), before any prefix.
DEFAULTS = """process_cpu_user_seconds_total process_cpu_system_seconds_total process_cpu_seconds_total
process_start_time_seconds process_resident_memory_bytes process_virtual_memory_bytes process_heap_bytes
process_open_fds process_max_fds nodejs_eventloop_lag_seconds nodejs_eventloop_lag_min_seconds
nodejs_eventloop_lag_max_seconds nodejs_eventloop_lag_mean_seconds nodejs_eventloop_lag_stddev_seconds
nodejs_eventloop_lag_p50_seconds nodejs_eventloop_lag_p90_seconds nodejs_eventloop_lag_p99_seconds
nodejs_active_resources nodejs_active_resources_total nodejs_active_handles nodejs_active_handles_total
nodejs_active_requests nodejs_active_requests_total nodejs_heap_size_total_bytes nodejs_heap_size_used_bytes
nodejs_external_memory_bytes nodejs_heap_space_size_total_bytes nodejs_heap_space_size_used_bytes
nodejs_heap_space_size_available_bytes nodejs_version_info nodejs_gc_duration_seconds""".split()
PROMQL_WORDS = set("""sum rate irate increase histogram_quantile by without max min avg count clamp_min
le label_values up instance on ignoring group_left group_right and or unless bool offset deriv topk""".split())


def dashboard_metrics(path):
    names = set()
    d = json.load(open(path))
    panels = d["panels"] + [p for row in d["panels"] for p in row.get("panels", [])]
    for p in panels:
        for t in p.get("targets", []):
            expr = re.sub(r"\{[^}]*\}", "", t["expr"])
            expr = re.sub(r"\[[^\]]*\]", "", expr)
            expr = re.sub(r'"[^"]*"', "", expr)
            for tok in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
                if tok in PROMQL_WORDS or re.fullmatch(r"e\d*", tok):
                    continue
                if "_" in tok:
                    names.add(tok)
    return names


def source_metrics(root):
    known = set()
    for f in glob.glob(f"{root}/services/*/src/**/*.ts", recursive=True):
        if f.endswith(".test.ts"):
            continue
        text = open(f).read()
        known.update(re.findall(r"name:\s*'([a-z_:][a-z0-9_:]*)'", text))
        if "collectDefaultMetrics" in text:
            prefixes = re.findall(r"prefix:\s*'([a-z_]*)'", text) or [""]
            for prefix in prefixes:
                known.update(prefix + m for m in DEFAULTS)
    return known


def scraped_metrics(files):
    known = set()
    for f in files:
        for line in open(f):
            if line.startswith("# TYPE "):
                known.add(line.split()[2])
    return known


def main():
    dashboard = sys.argv[1]
    mode = sys.argv[2]
    if mode == "--source":
        known = source_metrics(sys.argv[3])
    else:
        # The embedded stack runs the DS in the API's process: the DS's own (unprefixed)
        # process metrics exist only when it runs on its own.
        known = scraped_metrics(sys.argv[3:]) | set(DEFAULTS)
    used = dashboard_metrics(dashboard)
    missing = []
    for name in sorted(used):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in known and base not in known:
            missing.append(name)
    for m in missing:
        print(f"FAIL {dashboard}: metric {m} is not exported by any service")
    print(f"check-dashboard: {len(used)} metrics queried, {len(missing)} unknown ({mode})")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
