#!/usr/bin/env bash
# Install (if needed) and start a local PostgreSQL server with a scratch database for the store
# tests; prints the URL to use as CXCR4LAB_TEST_POSTGRES_URL. Loopback only.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
    su postgres -c "pg_isready -q" && break
    sleep 1
done
su postgres -c "psql -q -v ON_ERROR_STOP=1" >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cxcr4lab') THEN
    CREATE ROLE cxcr4lab LOGIN PASSWORD 'cxcr4lab';
  END IF;
END $$;
SQL
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'cxcr4lab_test'\"" | grep -q 1; then
    su postgres -c "createdb -O cxcr4lab cxcr4lab_test"
fi
echo "postgresql+psycopg://cxcr4lab:cxcr4lab@127.0.0.1:5432/cxcr4lab_test"
