#!/bin/sh
# minio-init (docker-compose.yml): prepares MinIO for Pantau; safe to run again at any time.
#   1. the bucket;
#   2. Pantau's own service account (PANTAU_S3_ACCESS_KEY), read/write on that bucket and nothing else,
#      so the Airflow workers never hold the root credentials;
#   3. one policy per PPK office found in any release (published/releases/*/access/<office>.policy.json,
#      docs/DOMAIN.md §5.2), named ppk-<office>, attached to the user ppk-<office> when that user exists.
# Offices appear with releases: after a release names a new office, run
#   docker compose run --rm minio-init
# and create the office's user (README, "Run in production").
set -eu
: "${MINIO_ROOT_USER:?set MINIO_ROOT_USER in .env}"
: "${MINIO_ROOT_PASSWORD:?set MINIO_ROOT_PASSWORD in .env}"
: "${PANTAU_S3_ACCESS_KEY:?set PANTAU_S3_ACCESS_KEY in .env}"
: "${PANTAU_S3_SECRET_KEY:?set PANTAU_S3_SECRET_KEY in .env}"
bucket="${PANTAU_BUCKET:-pantau}"
here="$(dirname "$0")"
work="$(mktemp -d)"

mc alias set local "${MINIO_URL:-http://minio:9000}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$bucket"

# Attaching a policy that is already attached is an error in MinIO; that one is fine, any other is not.
attach() {
  if ! out="$(mc admin policy attach local "$1" --user "$2" 2>&1)"; then
    case "$out" in
      *"already"*) ;;
      *) echo "$out" >&2; return 1 ;;
    esac
  fi
}

sed "s/@BUCKET@/$bucket/g" "$here/pantau-service.policy.json" > "$work/pantau-service.json"
mc admin policy create local pantau-service "$work/pantau-service.json"
mc admin user add local "$PANTAU_S3_ACCESS_KEY" "$PANTAU_S3_SECRET_KEY" >/dev/null
attach pantau-service "$PANTAU_S3_ACCESS_KEY"

# A fresh bucket has no release yet: then there is nothing to find, which is not an error.
mc find "local/$bucket/published/releases" --name "*.policy.json" 2>/dev/null > "$work/policies" || true
offices=0
missing=""
for office in $(sed -n 's#.*/access/\([^/]*\)\.policy\.json$#\1#p' "$work/policies" | sort -u); do
  # Every release writes the same policy for an office; any one copy will do.
  object="$(grep "/access/$office\.policy\.json\$" "$work/policies" | tail -n 1)"
  mc cat "$object" > "$work/$office.json"
  mc admin policy create local "ppk-$office" "$work/$office.json" >/dev/null
  offices=$((offices + 1))
  if mc admin user info local "ppk-$office" >/dev/null 2>&1; then
    attach "ppk-$office" "ppk-$office"
  else
    missing="$missing ppk-$office"
  fi
done
echo "minio-init: bucket $bucket ready; $offices office policies applied"
if [ -n "$missing" ]; then
  echo "minio-init: offices without a user yet (mc admin user add local <user> <secret>, then run again):$missing"
fi
rm -rf "$work"
