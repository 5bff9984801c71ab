#!/usr/bin/env bash
# Make sure RabbitMQ (with its management API, which the tests use for a vhost per test) and PostgreSQL
# run on this machine. Installs them from Debian's packages when they are missing (root, as on our dev and
# CI machines); leaves a machine that already runs them untouched.
set -euo pipefail

AMQP_PORT=${AMQP_PORT:-5672}
RABBIT_API_PORT=${RABBIT_API_PORT:-15672}
PG_PORT=${PG_PORT:-5432}

open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 90); do open "$1" && return 0; sleep 1; done
  echo "infra: nothing answers on port $1 ($2)" >&2; return 1
}
apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL
if ! open "$PG_PORT"; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "infra: installing PostgreSQL"
    apt_install postgresql
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
    # Development and CI only: local TCP connections as postgres without a password, as the tests expect.
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  echo "infra: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  wait_port "$PG_PORT" PostgreSQL
fi

# RabbitMQ
if ! open "$AMQP_PORT"; then
  if ! command -v rabbitmq-server >/dev/null; then
    echo "infra: installing RabbitMQ"
    apt_install rabbitmq-server
  fi
  echo "infra: starting RabbitMQ"
  rabbitmq-server -detached
  wait_port "$AMQP_PORT" RabbitMQ
fi
if ! open "$RABBIT_API_PORT"; then
  echo "infra: enabling rabbitmq_management"
  rabbitmq-plugins enable rabbitmq_management >/dev/null
  wait_port "$RABBIT_API_PORT" "RabbitMQ management API"
fi
echo "infra: PostgreSQL :$PG_PORT, RabbitMQ :$AMQP_PORT (management :$RABBIT_API_PORT) are up"
