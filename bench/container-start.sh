#!/usr/bin/env bash
# Cold start to the first `GET /health` 200: `serve` in a new container of the image (an empty volume, so
# a new SQLite file and its migrations), then the same `serve` straight on this machine, RUNS times each.
# The clock starts before `podman run` (or `node`) and stops at the first 200; /health is polled every
# 20 ms. Usage: bash bench/container-start.sh [RUNS] [IMAGE]   (the image from npm run test:container)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs=${1:-5}
image=${2:-localhost/hiredb:test}
runtime=(--ulimit nofile=20000:20000 --ulimit nproc=1024:1024)
command -v runc >/dev/null && runtime=(--runtime runc "${runtime[@]}")
podman image exists "$image" || { echo "no image $image: run npm run test:container first" >&2; exit 1; }

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
wait_health() {
  local deadline=$(($(now_ms) + 60000))
  until curl -sf "127.0.0.1:$1/health" >/dev/null; do
    (($(now_ms) < deadline)) || { echo "no /health on port $1 within 60 s" >&2; return 1; }
    sleep 0.02
  done
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
container=()
for i in $(seq 1 "$runs"); do
  port=$(free_port)
  name=hiredb-start-$$-$i
  t0=$(now_ms)
  # podman's stderr only on failure: without systemd it warns at every start that it cannot time the HEALTHCHECK.
  podman run -d --rm --name "$name" "${runtime[@]}" -e HIREDB_AUTH=off -p "127.0.0.1:$port:8787" "$image" serve \
    >/dev/null 2>"$errors" || { cat "$errors" >&2; exit 1; }
  wait_health "$port"
  container+=($(($(now_ms) - t0)))
  podman rm -f -v -t 0 "$name" >/dev/null 2>&1
done

host=()
for i in $(seq 1 "$runs"); do
  port=$(free_port)
  home=$(mktemp -d)
  t0=$(now_ms)
  (cd "$home" && exec env PORT="$port" node "$repo/bin/hiredb.mjs" serve 2>/dev/null) &
  pid=$!
  wait_health "$port"
  host+=($(($(now_ms) - t0)))
  kill "$pid"
  wait "$pid" || true
  rm -rf "$home"
done

echo "container start to first /health (ms): ${container[*]}; median $(printf '%s\n' "${container[@]}" | median)"
echo "host serve start to first /health (ms): ${host[*]}; median $(printf '%s\n' "${host[@]}" | median)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
