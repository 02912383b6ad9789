#!/usr/bin/env bash
# Makes the Dockerfile's base images locally, without a registry: a Debian 12 root file system from
# debootstrap, imported into a buildah store under the names the FROM lines use.
#
#   debian:bookworm       debootstrap --variant=minbase (what Docker's debian:bookworm is built from:
#                         debuerreotype uses minbase too), with Docker's apt settings and the bookworm,
#                         bookworm-updates and bookworm-security suites
#   debian:bookworm-slim  the same, without documentation, manual pages and translations (dpkg path
#                         excludes, as Docker's slim variant)
#
# The root file system and the images are cached: a second run only checks that they exist. Bump
# base_version below (or pass --refresh) to rebuild them, e.g. to pick up Debian point releases.
#
# Usage: deploy/make-base-images.sh [--refresh] STORE_DIR CACHE_DIR
#   STORE_DIR  buildah storage root (vfs driver); its run root is STORE_DIR.run
#   CACHE_DIR  where the debootstrap root file system is kept
# Environment: DEBIAN_MIRROR (default: the first http(s) Debian mirror in /etc/apt/sources.list*, else
# http://deb.debian.org/debian).
set -euo pipefail

base_version=1
refresh=0
if [[ "${1:-}" == "--refresh" ]]; then refresh=1; shift; fi
store=${1:?usage: make-base-images.sh [--refresh] STORE_DIR CACHE_DIR}
cache=${2:?usage: make-base-images.sh [--refresh] STORE_DIR CACHE_DIR}
buildah=(buildah --storage-driver vfs --root "$store" --runroot "$store.run")

log() { printf 'make-base-images: %s\n' "$*" >&2; }

has_current_image() {
  local label
  label=$("${buildah[@]}" inspect --type image --format '{{index .OCIv1.Config.Labels "rectifier.base-version"}}' \
          "$1" 2>/dev/null) || return 1
  [[ "$label" == "$base_version" ]]
}

if ((refresh == 0)) && has_current_image docker.io/library/debian:bookworm &&
   has_current_image docker.io/library/debian:bookworm-slim; then
  log "debian:bookworm and debian:bookworm-slim are up to date"
  exit 0
fi

mirror=${DEBIAN_MIRROR:-}
if [[ -z "$mirror" ]]; then
  mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
           head -n1 | tr -d ' ' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
mirror=${mirror%/}
security_mirror=${DEBIAN_SECURITY_MIRROR:-${mirror%/debian}/debian-security}

rootfs="$cache/rootfs-bookworm-v$base_version"
if ((refresh == 1)); then rm -rf "$rootfs"; fi
if [[ ! -d "$rootfs" ]]; then
  log "debootstrap bookworm (minbase) from $mirror"
  rm -rf "$rootfs.tmp"
  mkdir -p "$cache"
  debootstrap --variant=minbase bookworm "$rootfs.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 30 "$cache/debootstrap.log" >&2; exit 1; }
  # Docker's debian images: deb822 sources with updates and security, no caches, no recommends.
  rm -f "$rootfs.tmp/etc/apt/sources.list"
  cat >"$rootfs.tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$rootfs.tmp/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs.tmp/etc/apt/apt.conf.d/docker-no-languages"
  echo 'APT::Install-Recommends "false";' >"$rootfs.tmp/etc/apt/apt.conf.d/docker-no-recommends"
  echo 'force-unsafe-io' >"$rootfs.tmp/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  rm -rf "$rootfs.tmp"/var/lib/apt/lists/* "$rootfs.tmp"/var/cache/apt/*.bin "$rootfs.tmp"/var/cache/apt/archives/*.deb \
         "$rootfs.tmp"/var/log/*.log "$rootfs.tmp"/var/log/apt/* "$rootfs.tmp/etc/hostname" "$rootfs.tmp/etc/resolv.conf"
  mv "$rootfs.tmp" "$rootfs"
fi

# Imports ROOTFS as image NAME (a fully qualified name, so that FROM's short name resolves to it locally).
import_rootfs() {
  local dir=$1 name=$2 ctr mnt
  ctr=$("${buildah[@]}" from scratch)
  mnt=$("${buildah[@]}" mount "$ctr")
  cp -a "$dir/." "$mnt/"
  "${buildah[@]}" umount "$ctr" >/dev/null
  "${buildah[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd bash --label "rectifier.base-version=$base_version" --os linux --arch amd64 "$ctr"
  "${buildah[@]}" commit --quiet --format docker --rm "$ctr" "$name" >/dev/null
  log "imported $name"
}

import_rootfs "$rootfs" docker.io/library/debian:bookworm

slim=$(mktemp -d "$cache/slim.XXXXXX")
trap 'rm -rf "$slim"' EXIT
cp -a "$rootfs/." "$slim/"
cat >"$slim/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
find "$slim/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$slim/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$slim"/usr/share/man/* "$slim"/usr/share/groff/* "$slim"/usr/share/info/* "$slim"/usr/share/locale/* \
       "$slim"/usr/share/lintian/* "$slim"/usr/share/linda/*
import_rootfs "$slim" docker.io/library/debian:bookworm-slim
