#!/usr/bin/env bash
# scripts/make-certs.sh DIR [NAME...] — a private certificate authority and a server certificate
# signed by it, for the demo and the tests (never for production: use a real certificate there,
# see README "TLS").
#
#   DIR/ca.pem       the CA certificate: give it to clients (occhat --tls --ca DIR/ca.pem)
#   DIR/ca.key       the CA's private key (only needed to sign more certificates)
#   DIR/server.pem   the server certificate (occhat-server --tls-cert DIR/server.pem)
#   DIR/server.key   its private key, mode 0600 (occhat-server --tls-key DIR/server.key)
#
# The server certificate is valid for the NAMEs given (DNS names or IP addresses), by default
# localhost and 127.0.0.1, for 30 days. Keys are EC P-256. Needs only the openssl command.
# An existing DIR is overwritten file by file. Exit 0 on success, 1 on a usage error or failure.
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: scripts/make-certs.sh DIR [NAME...]   (default names: localhost 127.0.0.1)" >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "make-certs: the openssl command is missing (apt-get install openssl)" >&2; exit 1; }

dir="$1"
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1)

san=""
for name in "${names[@]}"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san+="${san:+,}IP:$name"
  else
    san+="${san:+,}DNS:$name"
  fi
done

mkdir -p "$dir"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The CA: self-signed, allowed to sign certificates (and nothing else).
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
  -subj "/CN=occhat test CA $(date +%s)-$$" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }

# The server: a key, a request, and the certificate the CA signs for the names above.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
  -subj "/CN=${names[0]}" -keyout "$dir/server.key" -out "$tmp/server.csr" 2>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
cat >"$tmp/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -CAserial "$tmp/ca.srl" -days 30 -sha256 -extfile "$tmp/ext.cnf" -out "$dir/server.pem" 2>"$tmp/log" || {
  cat "$tmp/log" >&2
  exit 1
}
chmod 0644 "$dir/ca.pem" "$dir/server.pem"
chmod 0600 "$dir/ca.key" "$dir/server.key"
openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null
echo "made $dir/ca.pem and $dir/server.pem (for $san)"
