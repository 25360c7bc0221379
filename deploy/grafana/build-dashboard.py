"""Writes deploy/grafana/conclave.json (the dashboard is generated so its layout stays regular).

usage: python3 deploy/grafana/build-dashboard.py > deploy/grafana/conclave.json
"""
import json

DS = {"type": "prometheus", "uid": "${datasource}"}
panels = []
pid = 0
y = 0


def row(title):
    global pid, y
    pid += 1
    panels.append({"id": pid, "type": "row", "title": title, "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
    y += 1


def line(items, width=8, height=8):
    """items: (title, unit, [(expr, legend)], kind) tuples laid out left to right."""
    global pid, y
    x = 0
    for title, unit, targets, kind in items:
        pid += 1
        panel = {
            "id": pid, "title": title, "type": kind, "datasource": DS,
            "gridPos": {"h": height if kind == "timeseries" else 4, "w": width, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [{"refId": chr(65 + i), "datasource": DS, "expr": e, "legendFormat": l}
                        for i, (e, l) in enumerate(targets)],
        }
        if kind == "timeseries":
            panel["options"] = {"legend": {"displayMode": "list", "placement": "bottom"},
                                "tooltip": {"mode": "multi", "sort": "desc"}}
            panel["fieldConfig"]["defaults"]["custom"] = {"fillOpacity": 10, "lineWidth": 1}
        else:
            panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                                "colorMode": "value", "graphMode": "area"}
        panels.append(panel)
        x += width
    y += height if items[0][3] == "timeseries" else 4


I = '{instance=~"$instance"}'
row("Overview")
line([
    ("Participants on SFUs", "none", [("sum(sfu_peers" + I + ")", "peers")], "stat"),
    ("Rooms on SFUs", "none", [("sum(sfu_rooms" + I + ")", "rooms")], "stat"),
    ("DS connections", "none", [("sum(ds_connections" + I + ")", "connections")], "stat"),
    ("DS groups", "none", [("sum(ds_groups" + I + ")", "groups")], "stat"),
    ("Joins / s", "reqps", [('sum(rate(conclave_api_srp_joins_total{result="ok",instance=~"$instance"}[5m]))', "joins")], "stat"),
    ("SFU workers", "none", [("sum(sfu_workers" + I + ")", "workers")], "stat"),
], width=4)

row("API")
line([
    ("Requests / s by route", "reqps", [
        ('sum by (route, status) (rate(conclave_api_http_request_duration_seconds_count{instance=~"$instance"}[5m]))', "{{route}} {{status}}")], "timeseries"),
    ("Latency p95 by route", "s", [
        ('histogram_quantile(0.95, sum by (le, route) (rate(conclave_api_http_request_duration_seconds_bucket{instance=~"$instance"}[5m])))', "{{route}}")], "timeseries"),
    ("SRP joins by result", "reqps", [
        ('sum by (result) (rate(conclave_api_srp_joins_total{instance=~"$instance"}[5m]))', "{{result}}")], "timeseries"),
])
line([
    ("5xx ratio", "percentunit", [
        ('sum(rate(conclave_api_http_request_duration_seconds_count{status=~"5..",instance=~"$instance"}[5m])) / clamp_min(sum(rate(conclave_api_http_request_duration_seconds_count{instance=~"$instance"}[5m])), 1e-9)', "5xx")], "timeseries"),
    ("429 (rate limited) / s", "reqps", [
        ('sum by (route) (rate(conclave_api_http_request_duration_seconds_count{status="429",instance=~"$instance"}[5m]))', "{{route}}")], "timeseries"),
    ("API event loop lag p99", "s", [
        ("max by (instance) (conclave_api_nodejs_eventloop_lag_p99_seconds" + I + ")", "{{instance}}")], "timeseries"),
])

row("MLS delivery service")
line([
    ("Messages received / s by type", "ops", [
        ('sum by (type) (rate(ds_messages_received_total{instance=~"$instance"}[5m]))', "{{type}}")], "timeseries"),
    ("Messages sent / s", "ops", [('sum(rate(ds_messages_sent_total{instance=~"$instance"}[5m]))', "sent")], "timeseries"),
    ("Join latency (KeyPackage to Welcome)", "s", [
        ('histogram_quantile(0.5, sum by (le) (rate(ds_join_seconds_bucket{instance=~"$instance"}[5m])))', "p50"),
        ('histogram_quantile(0.95, sum by (le) (rate(ds_join_seconds_bucket{instance=~"$instance"}[5m])))', "p95")], "timeseries"),
])
line([
    ("Commits / s by outcome", "ops", [
        ('sum by (outcome) (rate(ds_commits_total{instance=~"$instance"}[5m]))', "{{outcome}}"),
        ('sum(rate(ds_commit_requests_total{instance=~"$instance"}[5m]))', "commit requests")], "timeseries"),
    ("Errors / s by code", "ops", [
        ('sum by (code) (rate(ds_errors_total{instance=~"$instance"}[5m]))', "{{code}}")], "timeseries"),
    ("Closes / s by code", "ops", [
        ('sum by (code) (rate(ds_closes_total{instance=~"$instance"}[5m]))', "{{code}}")], "timeseries"),
])

row("SFU")
line([
    ("Peers and rooms by node", "none", [
        ("sum by (instance) (sfu_peers" + I + ")", "peers {{instance}}"),
        ("sum by (instance) (sfu_rooms" + I + ")", "rooms {{instance}}"),
        ("sum by (instance) (sfu_routers" + I + ")", "routers {{instance}}")], "timeseries"),
    ("Bitrate by direction", "bps", [
        ("sum by (direction) (sfu_bitrate_bps" + I + ")", "{{direction}}")], "timeseries"),
    ("Worker CPU (cores)", "none", [
        ('sum by (instance, worker) (rate(sfu_worker_cpu_seconds{instance=~"$instance"}[1m]))', "{{instance}} w{{worker}}")], "timeseries"),
])
line([
    ("Transports, producers, consumers", "none", [
        ("sum(sfu_transports" + I + ")", "transports"),
        ("sum by (kind) (sfu_producers" + I + ")", "producers {{kind}}"),
        ("sum by (kind) (sfu_consumers" + I + ")", "consumers {{kind}}")], "timeseries"),
    ("Signaling requests / s (errors by code)", "reqps", [
        ('sum(rate(sfu_signaling_requests_total{outcome="ok",instance=~"$instance"}[5m]))', "ok"),
        ('sum by (outcome) (rate(sfu_signaling_requests_total{outcome!="ok",instance=~"$instance"}[5m]))', "{{outcome}}")], "timeseries"),
    ("Signaling latency p95", "s", [
        ('histogram_quantile(0.95, sum by (le) (rate(sfu_signaling_request_seconds_bucket{instance=~"$instance"}[5m])))', "p95"),
        ("sum(sfu_signaling_connections" + I + ")", "connections")], "timeseries"),
])
line([
    ("Worker restarts", "none", [("sum by (instance) (sfu_worker_restarts" + I + ")", "{{instance}}")], "timeseries"),
    ("Draining nodes", "none", [("sum(sfu_draining" + I + ")", "draining")], "timeseries"),
    ("Resident memory", "bytes", [
        ("sum by (instance) (conclave_api_process_resident_memory_bytes" + I + ")", "api {{instance}}"),
        ("sum by (instance) (sfu_process_resident_memory_bytes" + I + ")", "sfu {{instance}}"),
        ("sum by (instance) (ds_process_resident_memory_bytes" + I + ")", "ds {{instance}}")], "timeseries"),
])

dashboard = {
    "title": "Conclave",
    "uid": "conclave-overview",
    "description": "Conclave API, MLS delivery service and SFU. Metrics are aggregates: no label names a meeting, room or person.",
    "tags": ["conclave", "webrtc"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "editable": True,
    "graphTooltip": 1,
    "refresh": "30s",
    "time": {"from": "now-3h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source",
         "current": {}, "hide": 0, "refresh": 1, "options": []},
        {"name": "instance", "type": "query", "label": "Instance", "datasource": DS,
         "query": {"query": "label_values(up, instance)", "refId": "instance"},
         "definition": "label_values(up, instance)", "includeAll": True, "multi": True, "allValue": ".*",
         "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "refresh": 2, "hide": 0, "options": []},
    ]},
    "annotations": {"list": []},
    "panels": panels,
}
print(json.dumps(dashboard, indent=2))
