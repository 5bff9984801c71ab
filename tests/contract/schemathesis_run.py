"""One Schemathesis run against the running suite: its configuration (a token per operation, chosen among the
roles the document gives it), the command, and what its HAR report says (examples sent, 5xx answered).

The configuration is written to ``schemathesis.toml`` beside the reports, so a failing run can be repeated
by hand against a running suite (docs/contracts.md, "Reproduce a failing example")."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

BIN = Path(sys.executable).parent
# Each operation, with each kind of data, is asked this many times at most (fuzzing phase); the coverage
# phase adds its boundary cases. 2 cores, ~80 operations: about 2.5 minutes with the stack (docs/contracts.md).
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "25"))
WORKERS = int(os.environ.get("CONTRACT_WORKERS", "2"))
PHASES = ["examples", "coverage", "fuzzing"]
# A request that fits the document is accepted, or refused for a reason of state: not signed in or not
# allowed, nothing there, a conflict with what exists, a rule of state or time (422), rate limited.
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "410", "422", "429"]
# Rules the document states in words only, since OpenAPI cannot say them (between two fields, against a
# dictionary or a registry, a code someone must have received): schema-valid data may still answer 400
# VALIDATION_ERROR (or OTP_INVALID) naming the field. Every other operation answering 400 to data valid by
# its schema fails the run (a constraint missing from the document).
RULES_IN_WORDS = {
    "register": "the NIK's region and birth-date digits match birth_date; a valid Indonesian phone; a password "
    "not too easy to guess (zxcvbn), without the person's name, email or NIK; a birth date not in the future",
    "verify": "the one-time code is the one sent (OTP_INVALID)",
    "password_reset_confirm": "the one-time code is the one sent; the password not too easy to guess",
    "create_staff": "a password not too easy to guess",
    "office_forecast": "to not before from, at most 31 days",
    "office_stats": "to not before from, at most 31 days",
    "office_visits": "to not before from, at most 31 days",
    "declare_disruption": "to after from",
    "update_capacity": "opening hours that open before they close",
    "add_dependent": "a member of the holder's family card",
    "review_document": "a rejection needs a reason that is not blank",
    "create_release": "opens_at in the future and before the day",
}


@dataclass
class Outcome:
    exit_code: int
    examples: int
    server_errors: int
    output: str
    report_dir: Path


def role_for_each_operation(spec):
    """operationId → the role whose token it is called with (None: no token), the roles of each kind of
    operation taken in turn, so every role the document names is used."""
    turns, roles = {}, {}
    for path in sorted(spec["paths"]):
        for _method, op in sorted(spec["paths"][path].items()):
            allowed = tuple(op.get("x-roles") or ())
            if not allowed:
                roles[op["operationId"]] = None
                continue
            n = turns.get(allowed, 0)
            turns[allowed] = n + 1
            roles[op["operationId"]] = allowed[n % len(allowed)]
    return roles


def _toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def config(spec, tokens, report_dir, seed=None):
    """``schemathesis.toml``: every check, the phases, a token per operation, the reports."""
    lines = [
        f"workers = {WORKERS}",
        "continue-on-failure = true",
        "request-timeout = 30",
        "max-stream-events = 1",  # the board's stream: its first event, then the next example
        *([f"seed = {int(seed)}"] if seed is not None else []),
        "[cache]",
        "enabled = false",
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        'database = "none"',
        "[phases]",
        *[f"{phase}.enabled = {'true' if phase in PHASES else 'false'}" for phase in PHASES + ["stateful"]],
        "[checks]",
        "enabled = true",
        f"positive_data_acceptance.expected-statuses = {_toml(POSITIVE_STATUSES)}",
        "[reports]",
        f"directory = {_toml(str(report_dir))}",
        "har.enabled = true",
        "json.enabled = true",
        "junit.enabled = true",
        "pytest.enabled = true",
    ]
    for operation_id, role in sorted(role_for_each_operation(spec).items()):
        settings = []
        if role is not None:
            settings.append(f"headers = {_toml({'Authorization': f'Bearer {tokens[role]}'})}")
        if operation_id in RULES_IN_WORDS:
            settings.append(f"checks.positive_data_acceptance.expected-statuses = {_toml(POSITIVE_STATUSES + ['400'])}")
        if settings:
            lines += ["[[operations]]", f"include-operation-id = {_toml(operation_id)}", *settings]
    return "\n".join(lines) + "\n"


def run(base_url, tokens, report_dir, seed=None, timeout=900):
    """Schemathesis against the suite at ``base_url``; the counts come from its HAR report (every request)."""
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    spec = requests.get(f"{base_url}/api/v1/openapi.json", timeout=10).json()
    config_file = report_dir / "schemathesis.toml"
    config_file.write_text(config(spec, tokens, report_dir, seed))
    command = [str(BIN / "st"), "--config-file", str(config_file), "--no-color", "run", "--url", base_url,
               f"{base_url}/api/v1/openapi.json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=report_dir)
    examples = server_errors = 0
    for har in report_dir.glob("har-*.json"):
        for entry in json.loads(har.read_text())["log"]["entries"]:
            examples += 1
            server_errors += entry["response"]["status"] >= 500
    return Outcome(done.returncode, examples, server_errors, done.stdout + done.stderr, report_dir)
