#!/usr/bin/env bash
# Start a single-node Ray head on 127.0.0.1 for local development and `ray job submit`.
#
#   cluster/start-local.sh            # then: ray job submit --address http://127.0.0.1:8265 ...
#   cluster/stop-local.sh
#
# Settings (environment variables, all optional):
#   FAS_RAY_GCS_PORT          GCS port (default 6379); also names the state/temp dir
#   FAS_RAY_DASHBOARD_PORT    dashboard + Jobs API port (default 8265)
#   FAS_RAY_CLIENT_PORT       Ray Client server port (default 10001)
#   FAS_RAY_AGENT_PORT        dashboard agent HTTP port (default 52365)
#   FAS_RAY_MIN_WORKER_PORT / FAS_RAY_MAX_WORKER_PORT   worker port range (default Ray's 10002-19999)
#   FAS_RAY_NUM_CPUS          CPUs to offer (default: all)
#   FAS_RAY_OBJECT_STORE_MB   object store size in MiB (default 512; Ray's default is 30% of RAM)
#   FAS_RAY_TEMP_DIR          Ray's temp/log dir (default /tmp/fas-ray-$FAS_RAY_GCS_PORT; keep it
#                             short: Unix socket paths are limited to ~107 characters)
#   FAS_RAY_VENV              venv to use (default: $VIRTUAL_ENV, else <repo>/.venv)
#
# The head has token auth off (RAY_AUTH_MODE=disabled) and keeps its dashboard, Jobs API and
# Ray Client on 127.0.0.1 (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0), so it is for this machine only:
# no other node can join it. For more nodes see multinode-local.sh or ../ray_cluster.yaml.
set -euo pipefail
# shellcheck source=cluster/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

GCS_PORT="${FAS_RAY_GCS_PORT:-6379}"
DASHBOARD_PORT="${FAS_RAY_DASHBOARD_PORT:-8265}"
CLIENT_PORT="${FAS_RAY_CLIENT_PORT:-10001}"
AGENT_PORT="${FAS_RAY_AGENT_PORT:-52365}"
OBJECT_STORE_MB="${FAS_RAY_OBJECT_STORE_MB:-512}"
TEMP_DIR="${FAS_RAY_TEMP_DIR:-/tmp/fas-ray-$GCS_PORT}"

mkdir -p "$TEMP_DIR"
TEMP_DIR="$(cd "$TEMP_DIR" && pwd -P)"  # the form Ray writes in its command lines
STATE="$TEMP_DIR/fas-ray-local.sid"

fas_ray_use_venv
fas_ray_node_env
# Without this, Ray silently turns --node-ip-address=127.0.0.1 into the eth0 address.
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0

if [[ -f "$STATE" && -n "$(fas_ray_session_pids "$(cat "$STATE")" "$TEMP_DIR")" ]]; then
    die "a head started by this script is already running ($STATE); run cluster/stop-local.sh"
fi

args=(
    --head
    --node-ip-address=127.0.0.1
    --port="$GCS_PORT"
    --dashboard-host=127.0.0.1
    --dashboard-port="$DASHBOARD_PORT"
    --ray-client-server-port="$CLIENT_PORT"
    --dashboard-agent-listen-port="$AGENT_PORT"
    --object-store-memory=$((OBJECT_STORE_MB * 1024 * 1024))
    --temp-dir="$TEMP_DIR"
    --disable-usage-stats
)
[[ -n "${FAS_RAY_NUM_CPUS:-}" ]] && args+=(--num-cpus="$FAS_RAY_NUM_CPUS")
[[ -n "${FAS_RAY_MIN_WORKER_PORT:-}" ]] && args+=(--min-worker-port="$FAS_RAY_MIN_WORKER_PORT")
[[ -n "${FAS_RAY_MAX_WORKER_PORT:-}" ]] && args+=(--max-worker-port="$FAS_RAY_MAX_WORKER_PORT")

echo "venv:     $VIRTUAL_ENV"
echo "temp dir: $TEMP_DIR"
if ! fas_ray_start_in_session "$STATE" "$FAS_RAY_RAY" start "${args[@]}" \
    >"$TEMP_DIR/start.log" 2>&1; then
    cat "$TEMP_DIR/start.log" >&2
    fas_ray_stop_sessions "$STATE" >/dev/null 2>&1 || true
    die "ray start failed (log above, also in $TEMP_DIR/start.log)"
fi

cat <<EOF

Ray head running: GCS 127.0.0.1:$GCS_PORT, dashboard + Jobs API http://127.0.0.1:$DASHBOARD_PORT
Submit a run as a Ray job (from the repository root; paths must be absolute, because the job
runs in a copy of the working dir):

  ray job submit --address http://127.0.0.1:$DASHBOARD_PORT \\
      --runtime-env cluster/runtime_env.yaml -- \\
      fas-ray run "\$PWD/data.csv" --target y --data-root "\$PWD/fas_data"

Or join it from a driver on this machine (the first variable stops Ray from swapping 127.0.0.1
for the eth0 address, where nothing listens):

  RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_ADDRESS=127.0.0.1:$GCS_PORT fas-ray run data.csv --target y

Logs: $TEMP_DIR/session_latest/logs    Stop: FAS_RAY_GCS_PORT=$GCS_PORT cluster/stop-local.sh
EOF
