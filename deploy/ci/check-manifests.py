"""Policy checks on rendered Helm manifests, beyond the Kubernetes schemas.

usage: check-manifests.py SERVICEMONITOR_SCHEMA FILE...

Every workload container must run as non-root with a read-only root filesystem, no privilege
escalation, all capabilities dropped, the RuntimeDefault seccomp profile and a memory limit;
the SFU must be a DaemonSet or StatefulSet reachable on host ports with a long grace period;
HPAs and PDBs must point at workloads that exist; ServiceMonitors are checked against a schema
(a subset of the prometheus-operator CRD, which no offline Kubernetes schema set contains);
every Ingress turns ingress-nginx's access log off (a line per request with the client's address,
the meeting's /m/<id> path and its time would record who joined which meeting when).
"""
import json
import sys

import jsonschema
import yaml

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}
ACCESS_LOG_OFF = ("nginx.ingress.kubernetes.io/enable-access-log", "false")


def pod_spec(doc):
    if doc["kind"] == "Pod":
        return doc["spec"]
    if doc["kind"] == "Job":
        return doc["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def main() -> int:
    sm_schema = json.load(open(sys.argv[1]))
    docs = []
    for path in sys.argv[2:]:
        with open(path) as f:
            docs += [(path, d) for d in yaml.safe_load_all(f) if d]
    errors = []
    names = {(d["kind"], d["metadata"]["name"]) for _, d in docs}
    labels_of = {}
    for path, doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        where = f"{path}: {kind}/{name}"
        if kind in WORKLOADS:
            spec = pod_spec(doc)
            labels_of[(kind, name)] = (
                doc["metadata"].get("labels", {}) if kind == "Pod" else doc["spec"]["template"]["metadata"]["labels"]
            )
            psc = spec.get("securityContext", {})
            if spec.get("automountServiceAccountToken") is not False:
                errors.append(f"{where}: automountServiceAccountToken is not false")
            for c in spec.get("initContainers", []) + spec["containers"]:
                sc = c.get("securityContext", {})
                cw = f"{where} container {c['name']}"
                if sc.get("allowPrivilegeEscalation") is not False:
                    errors.append(f"{cw}: allowPrivilegeEscalation is not false")
                if sc.get("readOnlyRootFilesystem") is not True:
                    errors.append(f"{cw}: readOnlyRootFilesystem is not true")
                if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                    errors.append(f"{cw}: capabilities do not drop ALL")
                if sc.get("capabilities", {}).get("add"):
                    errors.append(f"{cw}: adds capabilities")
                if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
                    errors.append(f"{cw}: runAsNonRoot is not set")
                if (sc.get("runAsUser", psc.get("runAsUser")) or 0) == 0:
                    errors.append(f"{cw}: runs as uid 0 or no uid")
                seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {}))
                if seccomp.get("type") != "RuntimeDefault":
                    errors.append(f"{cw}: seccomp profile is not RuntimeDefault")
                if not c.get("resources", {}).get("limits", {}).get("memory"):
                    errors.append(f"{cw}: no memory limit")
                if c["image"].endswith(":latest") or ":" not in c["image"].split("/")[-1]:
                    errors.append(f"{cw}: image {c['image']} has no pinned tag")
            if name.endswith("-sfu") and kind in {"Deployment", "DaemonSet", "StatefulSet"}:
                if kind == "Deployment":
                    errors.append(f"{where}: the SFU must be a DaemonSet or StatefulSet")
                if spec.get("terminationGracePeriodSeconds", 30) < 600:
                    errors.append(f"{where}: terminationGracePeriodSeconds < 600 (the SFU drains)")
                ports = spec["containers"][0].get("ports", [])
                udp = [p for p in ports if p.get("protocol") == "UDP"]
                if not udp or not all(p.get("hostPort") for p in udp):
                    errors.append(f"{where}: media UDP ports must be host ports")
        elif kind == "ServiceMonitor":
            try:
                jsonschema.validate(doc, sm_schema)
            except jsonschema.ValidationError as e:
                errors.append(f"{where}: {e.message} at {list(e.absolute_path)}")
        elif kind == "Ingress":
            key, off = ACCESS_LOG_OFF
            value = (doc["metadata"].get("annotations") or {}).get(key)
            if value != off:
                errors.append(f"{where}: annotation {key} is {value!r}, not {off!r} (access log on)")
        elif kind == "NetworkPolicy":
            for rule in doc["spec"].get("ingress", []):
                for p in rule.get("ports", []):
                    if "endPort" in p and not (isinstance(p["port"], int) and p["endPort"] >= p["port"]):
                        errors.append(f"{where}: endPort {p['endPort']} < port {p['port']}")
    for path, doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "HorizontalPodAutoscaler":
            ref = doc["spec"]["scaleTargetRef"]
            if (ref["kind"], ref["name"]) not in names:
                errors.append(f"{path}: HPA/{name} targets missing {ref['kind']}/{ref['name']}")
        if kind == "PodDisruptionBudget":
            sel = doc["spec"]["selector"]["matchLabels"]
            if not any(all(l.get(k) == v for k, v in sel.items()) for l in labels_of.values()):
                errors.append(f"{path}: PDB/{name} selects no workload")
    for e in errors:
        print("FAIL", e)
    print(f"check-manifests: {len(docs)} objects, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
