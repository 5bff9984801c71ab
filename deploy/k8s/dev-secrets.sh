#!/usr/bin/env bash
# Make every Secret the dev overlay references, with random values, in namespace $1 (default antre-dev).
# Development only: production Secrets come from the SRE's secret store (deploy/k8s/README.md "Secrets").
# Needs kubectl and openssl; run after `kubectl apply -k deploy/k8s/overlays/dev`. Each process gets its own
# broker user (antre-<process>-broker: username, password; the Messaging Topology Operator creates the user
# from it, components/rabbitmq/users.yaml) and an amqps:// URI with it. Existing Secrets are replaced.
set -euo pipefail
ns="${1:-antre-dev}"
k() { kubectl -n "$ns" "$@"; }
key32() { head -c 32 /dev/urandom | base64 | tr "+/" "-_"; }  # 32-byte key, URL-safe base64
rand() { head -c "$1" /dev/urandom | base64 | tr -d '\n/+=' | cut -c1-"$2"; }
apply_secret() { k create secret generic "$@" --dry-run=client -o yaml | k apply -f -; }

# The broker login of each process: its name is the process's (antre_common.auth reads the calling service
# from it); the password is URL-safe, since it goes into the URI as is.
declare -A amqp
for process in gateway identity scheduling documents notification payment integration; do
  pass="$(rand 48 32)"
  apply_secret "antre-${process}-broker" --from-literal=username="$process" --from-literal=password="$pass"
  amqp[$process]="amqps://${process}:${pass}@antre-rabbitmq:5671/"
done

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
openssl genpkey -algorithm ed25519 -out "$tmp/jwt.pem"
openssl pkey -in "$tmp/jwt.pem" -pubout -out "$tmp/jwt.pub"
# notification's X25519 key for one-time codes: identity gets the public half only (antre_common.sealed_box);
# the raw 32 bytes are the tail of the DER forms
openssl genpkey -algorithm x25519 -out "$tmp/otp.pem"
otp_private="o1:$(openssl pkey -in "$tmp/otp.pem" -outform DER | tail -c 32 | base64 | tr -d '\n')"
otp_public="o1:$(openssl pkey -in "$tmp/otp.pem" -pubout -outform DER | tail -c 32 | base64 | tr -d '\n')"
s3_key="documents"; s3_secret="$(rand 48 40)"

apply_secret antre-gateway --from-literal=AMQP_URI="${amqp[gateway]}" --from-file=JWT_PUBLIC_KEY="$tmp/jwt.pub"
apply_secret antre-identity --from-literal=AMQP_URI="${amqp[identity]}" --from-file=JWT_PRIVATE_KEY="$tmp/jwt.pem" \
  --from-literal=DATA_KEYS="k1:$(key32)" \
  --from-literal=LOOKUP_KEY="$(key32)" --from-literal=OTP_PUBLIC_KEY="$otp_public" \
  --from-literal=ANTRE_ADMIN_EMAIL=admin@antre.dev.example.invalid \
  --from-literal=ANTRE_ADMIN_PASSWORD="$(rand 48 24)" \
  --from-literal=ANTRE_ADMIN_TOTP_SECRET="$(head -c 20 /dev/urandom | base32)" \
  --from-literal=REGISTRY_USER=antre --from-literal=REGISTRY_PASSWORD="$(rand 48 24)"
apply_secret antre-scheduling --from-literal=AMQP_URI="${amqp[scheduling]}" --from-literal=AMQP_TLS=enable \
  --from-file=JWT_PUBLIC_KEY="$tmp/jwt.pub"
apply_secret antre-documents --from-literal=AMQP_URI="${amqp[documents]}" --from-literal=AMQP_TLS=enable \
  --from-file=JWT_PUBLIC_KEY="$tmp/jwt.pub" \
  --from-literal=S3_ACCESS_KEY="$s3_key" --from-literal=S3_SECRET_KEY="$s3_secret" \
  --from-literal=DOCUMENTS_KEYS="k1:$(key32)"
apply_secret antre-notification --from-literal=AMQP_URI="${amqp[notification]}" --from-literal=AMQP_TLS=enable \
  --from-file=JWT_PUBLIC_KEY="$tmp/jwt.pub" \
  --from-literal=SMTP_PASSWORD="$(rand 32 20)" \
  --from-literal=CHECK_CODE_KEY="$(key32)" --from-literal=MESSAGE_KEYS="m1:$(key32)" \
  --from-literal=OTP_PRIVATE_KEYS="$otp_private"
apply_secret antre-integration --from-literal=AMQP_URI="${amqp[integration]}" --from-file=JWT_PUBLIC_KEY="$tmp/jwt.pub"
apply_secret antre-payment --from-literal=AMQP_URI="${amqp[payment]}" --from-literal=PAYMENT_CHANNEL_SECRETS="k1:$(key32)" \
  --from-file=JWT_PUBLIC_KEY="$tmp/jwt.pub"
printf 'export MINIO_ROOT_USER=%s\nexport MINIO_ROOT_PASSWORD=%s\n' root "$(rand 48 40)" > "$tmp/config.env"
apply_secret antre-minio-env --from-file=config.env="$tmp/config.env"
apply_secret antre-minio-documents --from-literal=CONSOLE_ACCESS_KEY="$s3_key" \
  --from-literal=CONSOLE_SECRET_KEY="$s3_secret"
echo "secrets made in $ns; the admin password and authenticator secret are in Secret antre-identity" \
  "(ANTRE_ADMIN_PASSWORD, ANTRE_ADMIN_TOTP_SECRET)"
