#!/bin/sh
# images.sh creates the local base images that the docker runner's tests and
# the examples' Dockerfiles build FROM. No registry is reachable, so nothing
# can be pulled: each image is a `docker import` of a root filesystem made on
# this machine. An image that already exists is left alone, so running the
# script again costs nothing.
#
#   lockbisect/go:<go version>  /usr/local/go (the toolchain's binaries are
#                               static), a static busybox for /bin/sh, and a
#                               build cache of common standard packages
#   lockbisect/php:bookworm     debootstrap --variant=minbase of Debian
#                               bookworm with php-cli, php-zip, composer, unzip
#
# Usage: scripts/images.sh [go|php]...   (default: both)
# Environment:
#   GOROOT_DIR     toolchain to import (default: `go env GOROOT`)
#   DEBIAN_MIRROR  mirror for debootstrap (default: the first Debian URI in
#                  /etc/apt/sources.list or /etc/apt/sources.list.d/)
set -eu

die() {
	echo "images.sh: $*" >&2
	exit 1
}

command -v docker >/dev/null 2>&1 || die "docker is not installed"
docker info >/dev/null 2>&1 || die "the docker engine is not reachable (is dockerd running, is DOCKER_HOST right?)"

work=$(mktemp -d "${TMPDIR:-/tmp}/lockbisect-images.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

exists() {
	docker image inspect "$1" >/dev/null 2>&1
}

# busybox_root fills $1/bin with a static busybox and one link per applet, so
# that RUN lines have /bin/sh and the usual coreutils.
busybox_root() {
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || die "busybox not found: install Debian's busybox-static"
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		ldd "$bb" 2>&1 | grep -q 'not a dynamic executable' ||
		die "$bb is not static: install Debian's busybox-static"
	mkdir -p "$1/bin" "$1/tmp" "$1/etc" "$1/root"
	chmod 1777 "$1/tmp"
	cp "$bb" "$1/bin/busybox"
	for applet in $("$bb" --list); do
		[ -e "$1/bin/$applet" ] || ln -s busybox "$1/bin/$applet"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$1/etc/passwd"
	echo 'root:x:0:' >"$1/etc/group"
}

# warm_packages are compiled into the Go image's build cache.
warm_packages="net/http encoding/json crypto/rand crypto/sha256 encoding/hex log/slog os/signal context flag"

go_image() {
	goroot=${GOROOT_DIR:-$(go env GOROOT 2>/dev/null || true)}
	[ -n "$goroot" ] && [ -x "$goroot/bin/go" ] || die "no Go toolchain found (set GOROOT_DIR)"
	version=$("$goroot/bin/go" env GOVERSION) || die "$goroot/bin/go does not run"
	tag="lockbisect/go:${version#go}"
	if exists "$tag"; then
		echo "$tag: present, kept"
		return
	fi
	start=$(date +%s)
	root="$work/go"
	busybox_root "$root"
	mkdir -p "$root/usr/local"
	cp -a "$goroot" "$root/usr/local/go"
	# A build cache of the standard library packages servers use: every
	# image built FROM this one would otherwise compile them again (minutes
	# on a small machine). The toolchain sits at the same GOROOT here and in
	# the image, so the cache keys match.
	mkdir -p "$root/root/.cache"
	GOCACHE="$root/root/.cache/go-build" CGO_ENABLED=0 GOFLAGS= GOTOOLCHAIN=local \
		"$goroot/bin/go" build $warm_packages || die "go build of the standard library cache failed"
	# The toolchain is self-contained; GOTOOLCHAIN=local keeps it from trying
	# to download another one, CGO_ENABLED=0 because there is no C compiler.
	tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
		docker import \
			-c 'ENV PATH=/usr/local/go/bin:/root/go/bin:/usr/local/bin:/usr/bin:/bin' \
			-c 'ENV HOME=/root' \
			-c 'ENV GOTOOLCHAIN=local' \
			-c 'ENV CGO_ENABLED=0' \
			-c 'WORKDIR /root' \
			-c 'CMD ["/bin/sh"]' \
			-m "lockbisect base image: Go ${version#go} and busybox" \
			- "$tag" >/dev/null || die "docker import of $tag failed"
	exists "$tag" || die "$tag missing after import"
	echo "$tag: created in $(($(date +%s) - start))s"
}

# debian_mirror prints the first Debian archive URI apt is configured with
# (deb822 .sources files and one-line .list files both count).
debian_mirror() {
	if [ -n "${DEBIAN_MIRROR:-}" ]; then
		echo "$DEBIAN_MIRROR"
		return
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\// && $i ~ /\/debian\/?$/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
}

php_image() {
	tag=lockbisect/php:bookworm
	if exists "$tag"; then
		echo "$tag: present, kept"
		return
	fi
	command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed"
	[ "$(id -u)" = 0 ] || die "debootstrap needs root"
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || die "no Debian mirror in /etc/apt/sources.list*: set DEBIAN_MIRROR"
	start=$(date +%s)
	root="$work/php"
	echo "$tag: debootstrap bookworm from $mirror (about a minute)"
	debootstrap --variant=minbase --include=php-cli,php-zip,composer,unzip \
		bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
		tail -n 20 "$work/debootstrap.log" >&2
		die "debootstrap failed (log tail above)"
	}
	# apt's caches and lists are not needed at run time and weigh ~100 MB.
	rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
	tar -C "$root" --numeric-owner -cf - . |
		docker import \
			-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			-c 'ENV COMPOSER_ALLOW_SUPERUSER=1' \
			-c 'ENV COMPOSER_NO_INTERACTION=1' \
			-c 'CMD ["/bin/sh"]' \
			-m "lockbisect base image: Debian bookworm with php-cli, php-zip, composer" \
			- "$tag" >/dev/null || die "docker import of $tag failed"
	exists "$tag" || die "$tag missing after import"
	echo "$tag: created in $(($(date +%s) - start))s"
}

[ $# -gt 0 ] || set -- go php
for image in "$@"; do
	case $image in
	go) go_image ;;
	php) php_image ;;
	*) die "unknown image $image (go or php)" ;;
	esac
done
