"""The docs and the manifests say the same thing: every alert has its runbook section, every Secret key
the manifests reference is in the README's table (and made by the dev script), every setting given to a
process is one it reads, and the prod HPA bounds are the README's sizing arithmetic."""

import math
import re

import pytest
import yaml
from k8s_manifests import DB_SERVICES, K8S, OVERLAYS, PROCESS_DIRS, PROCESSES, REPO, named, of_kind, pod_spec

RUNBOOK = REPO / "docs" / "runbook.md"
README = K8S / "README.md"
# Settings whose name says they are secret: a process that reads one must be given it from a Secret.
SECRET_WORDS = ("PASSWORD", "SECRET", "PRIVATE", "_KEY", "_KEYS")


def markdown_table(text, header):
    """Rows (lists of cells, backticks stripped) of the table whose header row starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def alerts():
    rule = yaml.safe_load((K8S / "components/monitoring/prometheusrule.yaml").read_text())
    return [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]


def test_every_alert_has_its_runbook_section_and_no_section_is_stale():
    text = RUNBOOK.read_text()
    alerts_part = text[text.index("## Alerts") :]
    sections = re.findall(r"^### (\w+)$", alerts_part, flags=re.M)
    names = [a["alert"] for a in alerts()]
    assert len(names) == len(set(names)) >= 10
    assert sorted(sections) == sorted(names)
    for alert in alerts():
        assert alert["annotations"]["runbook_url"] == f"docs/runbook.md#{alert['alert'].lower()}"
        assert alert["labels"]["severity"] in ("critical", "warning")
        body = alerts_part.split(f"### {alert['alert']}\n", 1)[1].split("\n### ", 1)[0]
        assert len(body.split()) >= 30, f"{alert['alert']}: say what it means and what to do"


def test_runbook_covers_the_four_procedures():
    headings = re.findall(r"^## (.+)$", RUNBOOK.read_text(), flags=re.M)
    for needed in ("Scale a service", "Drain a node during a quota release", "Rotate the token signing key"):
        assert needed in headings
    assert "Rotate the data encryption key" in headings


def referenced_secret_keys(objects):
    refs = set()
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            spec = pod_spec(obj)
            for c in spec["containers"] + spec.get("initContainers", []):
                for env in c.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        refs.add((ref["name"], ref["key"]))
                assert not [e for e in c.get("envFrom", []) if "secretRef" in e], "name each secret key"
        elif obj["kind"] == "Tenant":
            refs.add((obj["spec"]["configuration"]["name"], "config.env"))
            for user in obj["spec"]["users"]:
                refs |= {(user["name"], "CONSOLE_ACCESS_KEY"), (user["name"], "CONSOLE_SECRET_KEY")}
        elif obj["kind"] == "Ingress":
            for tls in obj["spec"]["tls"]:
                refs |= {(tls["secretName"], "tls.crt"), (tls["secretName"], "tls.key")}
        elif obj["kind"] == "TriggerAuthentication":
            refs |= {(ref["name"], ref["key"]) for ref in obj["spec"]["secretTargetRef"]}
        elif obj["kind"] == "User" and "importCredentialsSecret" in obj["spec"]:
            name = obj["spec"]["importCredentialsSecret"]["name"]
            refs |= {(name, "username"), (name, "password")}
        if obj["kind"] == "Deployment":  # keys of Secrets mounted as files
            for volume in pod_spec(obj).get("volumes", []):
                if "secret" in volume:
                    refs |= {(volume["secret"]["secretName"], item["key"]) for item in volume["secret"]["items"]}
    return refs


def documented_secret_keys():
    documented = set()
    for name, key, *_ in markdown_table(README.read_text(), "| Secret | key |"):
        names = [f"{s}-db-app" for s in DB_SERVICES] if name == "<service>-db-app" else [name]
        if name == "antre-<process>-broker":
            names = [f"antre-{p}-broker" for p in PROCESSES]
        documented |= {(n, key) for n in names}
    return documented


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_key_referenced_is_documented_and_every_documented_one_used(rendered, overlay):
    assert referenced_secret_keys(rendered[overlay]) == documented_secret_keys()


def test_the_dev_script_makes_every_secret_that_is_not_made_for_us():
    script = (K8S / "dev-secrets.sh").read_text().replace("\\\n", " ")
    made = {}
    for command in script.split("apply_secret ")[1:]:  # [0]: everything before the first use
        name = command.split()[0].strip('"').replace("${process}", "<process>")  # the per-process loop
        made.setdefault(name, set()).update(re.findall(r"--from-(?:literal|file)=([\w.]+)=", command.split("\n")[0]))
    for name, key, _, what in markdown_table(README.read_text(), "| Secret | key |"):
        if name.endswith("-db-app") or name == "antre-tls" or "optional" in what or "cert-manager" in what:
            continue  # CloudNativePG and cert-manager write theirs; dev runs without TLS at the ingress
        assert key in made.get(name, set()), (name, key)


def settings_read_by(process):
    """Environment variables the process reads: ${VAR:…} in its config.yaml, plus its rows of the contract."""
    config = (PROCESS_DIRS[process] / "config.yaml").read_text()
    names = set(re.findall(r"\$\{(\w+):", config))
    for row in markdown_table((REPO / "docs/contracts.md").read_text(), "| variable | who |"):
        variables, who = row[0], row[1]
        if who == "all" or (who == "services" and process != "gateway") or process in who:
            names |= set(re.findall(r"[A-Z][A-Z0-9_]+", variables))
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_given_to_a_process_is_one_it_reads(rendered, overlay):
    """A ConfigMap key the process never reads is a setting an SRE believes in and that does nothing."""
    objects = rendered[overlay]
    for process in PROCESSES:
        container = pod_spec(named(objects, "Deployment", process))["containers"][0]
        (config_name,) = [e["configMapRef"]["name"] for e in container["envFrom"]]
        env = container["env"]
        # Variables that exist only to be expanded into another one ($(DB_USER) in DATABASE_URL) are not settings.
        expanded = {v for e in env for v in re.findall(r"\$\((\w+)\)", e.get("value", ""))}
        given = set(named(objects, "ConfigMap", config_name)["data"]) | {e["name"] for e in env} - expanded
        unread = given - settings_read_by(process)
        assert not unread, f"{process} is given settings it does not read: {sorted(unread)}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_a_process_reads_is_given_from_a_secret(rendered, overlay):
    objects = rendered[overlay]
    for process in PROCESSES:
        config = (PROCESS_DIRS[process] / "config.yaml").read_text()
        secrets = {
            name
            for name, default in re.findall(r"\$\{(\w+):([^}]*)\}", config)
            if any(w in name for w in SECRET_WORDS) and not name.endswith("_FILE") and not default
        }
        container = pod_spec(named(objects, "Deployment", process))["containers"][0]
        from_secrets = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
        assert secrets <= from_secrets, f"{process} reads {sorted(secrets - from_secrets)} but is not given them"


def sizing_rows():
    rows = markdown_table(README.read_text(), "| process | peak")
    return {r[0]: {"peak": float(r[1]), "T": float(r[2]), "min": int(r[3]), "max": int(r[4])} for r in rows}


def test_prod_hpa_bounds_are_the_sizing_arithmetic(rendered):
    rows = sizing_rows()
    assert set(rows) == set(PROCESSES)
    for process, row in rows.items():
        hpa = named(rendered["prod"], "HorizontalPodAutoscaler", process)["spec"]
        expected_max = math.ceil(row["peak"] / (0.7 * row["T"])) + 1
        assert row["max"] == expected_max, f"{process}: README says max {row['max']}, the arithmetic {expected_max}"
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (row["min"], row["max"]), process
        target = hpa["metrics"][0]["resource"]["target"]["averageUtilization"]
        assert target == 70, "the arithmetic assumes a 70% CPU target"
        requests = pod_spec(named(rendered["prod"], "Deployment", process))["containers"][0]["resources"]["requests"]
        assert requests["cpu"] in ("1", 1, "1000m"), "the arithmetic assumes one core requested per replica"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_databases_have_connections_for_every_replica_at_the_hpa_maximum(rendered, overlay):
    """The connection budget of README.md "Sizing": replicas at the HPA maximum fit in their PgBouncer, no
    worker waits for the process's own pool, and the poolers' server connections fit in PostgreSQL."""
    objects = rendered[overlay]
    for service in DB_SERVICES:
        hpa = named(objects, "HorizontalPodAutoscaler", service)["spec"]
        container = pod_spec(named(objects, "Deployment", service))["containers"][0]
        (config_name,) = [e["configMapRef"]["name"] for e in container["envFrom"]]
        config = named(objects, "ConfigMap", config_name)["data"]
        workers, pool = int(config["MAX_WORKERS"]), int(config["DB_POOL_SIZE"]) + int(config["DB_MAX_OVERFLOW"])
        assert pool >= workers + 2, f"{service}: a pool of {pool} makes workers wait (workers, relay, readiness)"
        assert float(config["DB_POOL_TIMEOUT"]) < float(config["RPC_TIMEOUT_SECONDS"])
        pooler = named(objects, "Pooler", f"{service}-db-pooler-rw")["spec"]
        bouncer = pooler["pgbouncer"]["parameters"]
        assert hpa["maxReplicas"] * pool <= int(bouncer["max_client_conn"]), service
        cluster = named(objects, "Cluster", f"{service}-db")
        max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
        server = pooler["instances"] * (int(bouncer["default_pool_size"]) + int(bouncer["reserve_pool_size"]))
        needed = server + 10  # + the operator, monitoring and the migration Job
        assert needed <= max_connections, f"{service}: {needed} connections at the HPA maximum > {max_connections}"
    assert of_kind(objects, "Cluster")
