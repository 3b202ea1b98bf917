#!/usr/bin/env bash
# Makes sure podman has the Dockerfile's base image (its first FROM, node:<major>-bookworm-slim). When it
# is neither present nor pullable (a machine without registry access), it is made here: Debian bookworm
# (debootstrap --variant=minbase, from Debian's mirror) plus this machine's Node.js, npm and Node headers
# under /usr/local, the `node` user (1000:1000) and this machine's CA bundle (NODE_EXTRA_CA_CERTS, so npm
# inside a build trusts what the machine trusts), imported under the FROM's tag. The root file system is
# cached as a tarball under ${XDG_CACHE_HOME:-~/.cache}/hiredb/, keyed by the Node version, so only the
# first run pays for debootstrap.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "base-image: $*" >&2; exit 1; }

base=$(awk 'toupper($1) == "FROM" { print $2; exit }' Dockerfile)
[[ $base =~ ^node:([0-9]+)-bookworm-slim$ ]] || fail "the Dockerfile's first FROM is '$base', not node:<major>-bookworm-slim"
major=${BASH_REMATCH[1]}

if podman image exists "$base"; then
  echo "base-image: $base is present"
  exit 0
fi
if timeout 120 podman pull -q "$base" >/dev/null 2>&1; then
  echo "base-image: pulled $base"
  exit 0
fi

node_bin=$(readlink -f "$(command -v node)") || fail "node is not on PATH"
node_version=$(node -p process.versions.node)
[[ ${node_version%%.*} == "$major" ]] ||
  fail "cannot make $base from this machine's Node.js $node_version: the major versions differ"
prefix=$(dirname "$(dirname "$node_bin")")
for part in "$prefix/lib/node_modules/npm" "$prefix/include/node"; do
  [[ -d $part ]] || fail "$part is missing: the base image needs this machine's npm and Node headers"
done
command -v debootstrap >/dev/null || fail "$base cannot be pulled and debootstrap is not installed to make it"
((EUID == 0)) || fail "$base cannot be pulled, and making it needs root (debootstrap, chroot)"
[[ -f /etc/ssl/certs/ca-certificates.crt ]] || fail "/etc/ssl/certs/ca-certificates.crt is missing: the base image carries it"

cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/hiredb
tarball=$cache_dir/bookworm-minbase-node-v$node_version.tar
if [[ ! -f $tarball ]]; then
  echo "base-image: $base cannot be pulled; making it (debootstrap bookworm + Node.js $node_version)"
  mkdir -p "$cache_dir"
  work=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  root=$work/rootfs
  debootstrap --variant=minbase bookworm "$root" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }

  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
  cp -a "$prefix/lib/node_modules/npm" "$root/usr/local/lib/node_modules/"
  # Headers let node-gyp build native addons without downloading them (npm_config_nodedir below).
  cp -a "$prefix/include/node" "$root/usr/local/include/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  chroot "$root" node --version >/dev/null || fail "the copied Node.js does not run in the new root file system"

  tar -C "$root" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$work"
  trap - EXIT
fi

podman import -q \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV npm_config_nodedir=/usr/local' \
  --change 'CMD ["node"]' \
  "$tarball" "$base" >/dev/null
echo "base-image: made $base from $tarball"
