#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (Debian packages when
# root, Python clients), then the Rust unit and end-to-end tests (real psql and
# tokio-postgres against a server on an ephemeral loopback port), then the Python tests
# (the DuckDB oracle for queries/, the deltalake package, moto S3, crash and concurrency).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=""
  # postgresql: the PostgreSQL 15 reference the BI-tool replay compares with;
  # libpostgresql-jdbc-java + Java: pgjdbc; openssl: test TLS certificates.
  for pkg in mold postgresql-client postgresql libpostgresql-jdbc-java openssl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
  done
  command -v java >/dev/null || need="$need default-jdk-headless"
  if [ -n "$need" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  fi
fi
python3 -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt

if command -v mold >/dev/null; then
  export RUSTFLAGS="${RUSTFLAGS:--C link-arg=-fuse-ld=mold}"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# Lints first (shares the debug build's dependencies), then every test binary even when
# one fails, so one run shows everything that is broken.
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked --no-fail-fast
LYCEUM_BIN="$CARGO_TARGET_DIR/debug/lyceum" python3 -m pytest tests/python -q -p no:cacheprovider
