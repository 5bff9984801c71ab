"""Which Prometheus series exist: the ones Antre's code defines (read from the source, so a renamed metric
fails the check rather than an empty panel at 07:00), the recording rules of the PrometheusRule, and the
exporters the cluster runs (kube-state-metrics, rabbitmq_prometheus, CloudNativePG, Prometheus's own ``up``)."""

import re

import yaml
from k8s_manifests import DB_SERVICES, K8S, PROCESSES, REPO

RULES = K8S / "components/monitoring/prometheusrule.yaml"
# Series Antre's code does not define, by the exporter that does (deploy/k8s/README.md "Requirements").
EXTERNAL = re.compile(r"^(up|kube_[a-z0-9_]+|rabbitmq_[a-z0-9_]+|cnpg_[a-z0-9_]+)$")
SUFFIXES = {"Counter": ("",), "Gauge": ("",), "Histogram": ("_bucket", "_count", "_sum")}
_DEFINED = re.compile(
    r"metric\(\s*(Counter|Gauge|Histogram)\s*,\s*"
    r"(?:\"(?P<name>antre_[a-z0-9_]+)\"|service_metric_name\(\s*\w+\s*,\s*\"(?P<thing>[a-z0-9_]+)\"\s*\))"
)
# Tokens of a PromQL expression that name a series: ours (antre_…), recorded (antre:…), or an exporter's.
_TOKEN = re.compile(r"(?<![\w:\"./<-])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|\s|$|>|<|=|/|\*|-|\+)")
_NAME_REGEX = re.compile(r"__name__=~\"([^\"]+)\"")
PROMQL_WORDS = {
    "sum", "rate", "increase", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "group_left",
    "group_right", "and", "or", "unless", "histogram_quantile", "sum_over_time", "avg_over_time", "max_over_time",
    "hour", "minute", "vector", "time", "bool", "offset", "topk", "bottomk", "clamp_min", "clamp_max", "abs",
    "label_replace", "irate", "delta", "deriv", "absent", "scalar", "le", "job", "inf", "Inf", "NaN",
}  # fmt: skip


def processes_of(path):
    """Which processes run the metrics defined in ``path`` (a service_metric_name is per process)."""
    rel = path.relative_to(REPO).as_posix()
    if rel.startswith("gateway/"):
        return ["gateway"]
    if rel.endswith("antre_common/outbox.py"):
        return list(DB_SERVICES)
    if rel.startswith("services/"):
        return [rel.split("/")[1]]
    return list(PROCESSES)


def exported_metrics():
    """Every series name the code exports, expanded per process and metric type."""
    names = set()
    sources = [*REPO.glob("libs/antre-common/antre_common/*.py"), *REPO.glob("gateway/gateway/**/*.py")]
    sources += list(REPO.glob("services/*/*/*.py"))
    for path in sources:
        for match in _DEFINED.finditer(path.read_text()):
            kind = match.group(1)
            if match.group("name"):
                bases = [match.group("name")]
            else:
                bases = [f"antre_{p}_{match.group('thing')}" for p in processes_of(path)]
            names |= {base + suffix for base in bases for suffix in SUFFIXES[kind]}
    return names


def rule_groups():
    return yaml.safe_load(RULES.read_text())["spec"]["groups"]


def recorded_series():
    return {r["record"] for g in rule_groups() for r in g["rules"] if "record" in r}


def series_named_by(expr):
    """``(names, name_regexes)`` a PromQL expression selects: bare metric names and ``__name__=~`` patterns."""
    without_strings = re.sub(r"\"[^\"]*\"", '""', expr)
    names = {t for t in _TOKEN.findall(without_strings) if t not in PROMQL_WORDS and not t.isdigit()}
    # Label names inside {…} and by (…) look like tokens too: drop what is followed by = or sits in a by().
    labels = set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!=|!~|=)", without_strings))
    for group in re.findall(r"(?:by|without|on|ignoring)\s*\(([^)]*)\)", without_strings):
        labels |= {label.strip() for label in group.split(",") if label.strip()}
    return names - labels, set(_NAME_REGEX.findall(expr))


def unknown_series(expr, exported, recorded):
    """What ``expr`` names that nothing exports or records (empty: every series it reads can exist)."""
    names, patterns = series_named_by(expr)
    unknown = {n for n in names if n not in exported and n not in recorded and not EXTERNAL.match(n)}
    for pattern in patterns:
        if not any(re.fullmatch(pattern, n) for n in exported):
            unknown.add(f"__name__=~{pattern}")
    return unknown
