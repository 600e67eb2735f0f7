#!/bin/sh
# Regenerates the example's two lock files with real composer, offline:
# old/composer.lock as resolved before the new releases existed (only the
# older zips in the artifact repository), server/composer.lock with every
# release available. Run from anywhere after `go run ./examples/composer-mcp/gen`.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
export COMPOSER_HOME="$work/home" COMPOSER_CACHE_DIR="$work/cache" COMPOSER_ALLOW_SUPERUSER=1

mkdir -p "$work/old/artifacts" "$work/new"
for z in acme-schema-1.1.0 acme-mcp-bundle-0.8.0 acme-mcp-sdk-0.4.0 acme-reflection-docblock-5.0.0 \
	acme-type-resolver-1.0.0 acme-log-1.0.0 acme-util-1.0.0; do
	cp "$here/server/artifacts/$z.zip" "$work/old/artifacts/"
done
cp "$here/old/composer.json" "$work/old/"
(cd "$work/old" && composer update --no-interaction --no-progress --no-install)
cp "$work/old/composer.lock" "$here/old/composer.lock"

cp -r "$here/server/artifacts" "$here/server/composer.json" "$work/new/"
(cd "$work/new" && composer update --no-interaction --no-progress --no-install)
cp "$work/new/composer.lock" "$here/server/composer.lock"
