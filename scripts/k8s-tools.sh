#!/usr/bin/env bash
# What `make k8s-check` needs on this machine besides the virtualenv: kubectl (renders the overlays; it
# bundles kustomize) must already be there, and promtool (checks and unit-tests the alert and recording
# rules), which Debian's `prometheus` package ships. Installs that package when promtool is missing; never
# downloads a binary of its own. The package's own daemon is not wanted: policy-rc.d keeps it from starting.
set -euo pipefail

if ! command -v promtool >/dev/null; then
  echo "k8s-tools: installing prometheus (for promtool)"
  apt-get update -qq
  # The package's postinst would start a Prometheus server; forbid service starts during the install only.
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  trap 'if [ -n "$made_policy" ]; then rm -f "$policy"; fi' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
command -v promtool >/dev/null || { echo "k8s-tools: promtool still missing" >&2; exit 1; }
