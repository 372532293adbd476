#!/usr/bin/env bash
# A real two-node Ray cluster on one machine: head on 127.0.0.2, worker on 127.0.0.3.
#
#   cluster/multinode-local.sh start     # head + worker; prints how to submit jobs
#   cluster/multinode-local.sh status    # `ray status` of this cluster
#   cluster/multinode-local.sh stop      # stops exactly these two nodes (never `ray stop`)
#   cluster/multinode-local.sh kill-worker   # SIGKILLs the worker node at once (a node lost)
#   cluster/multinode-local.sh restart-gcs   # SIGKILLs the head's GCS and starts it again
#
# Linux routes all of 127.0.0.0/8 to the loopback device, so two raylets with different node
# IPs behave like two machines (separate object stores, cross-node object transfer), which
# exercises scheduling and data placement that a single node hides. Every node sees the same
# files here; on real machines data paths must be on shared storage.
#
# Settings (environment variables, all optional):
#   FAS_RAY_GCS_PORT             head GCS port (default 6379)
#   FAS_RAY_DASHBOARD_PORT       dashboard + Jobs API port on 127.0.0.1 (default 8265)
#   FAS_RAY_CLIENT_PORT          Ray Client server port (default 10001)
#   FAS_RAY_AGENT_PORT           head dashboard agent port (default 52365)
#   FAS_RAY_WORKER_AGENT_PORT    worker dashboard agent port (default 52366; must differ)
#   FAS_RAY_HEAD_CPUS / FAS_RAY_WORKER_CPUS   CPUs per node (default 2 / 1)
#   FAS_RAY_OBJECT_STORE_MB      object store per node in MiB (default 300)
#   FAS_RAY_TEMP_DIR             temp/log dir shared by both nodes (default /tmp/fas-ray-mn-$PORT)
#   FAS_RAY_VENV                 venv to use (default: $VIRTUAL_ENV, else <repo>/.venv)
#   FAS_RAY_REDIS_ADDRESS        host:port of a Redis that keeps the GCS's state (GCS fault
#                                tolerance: a restarted GCS reloads it; unset: in memory)
#   FAS_RAY_REDIS_PASSWORD       that Redis's password (default: none)
set -euo pipefail
# shellcheck source=cluster/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

HEAD_IP=127.0.0.2
WORKER_IP=127.0.0.3
GCS_PORT="${FAS_RAY_GCS_PORT:-6379}"
DASHBOARD_PORT="${FAS_RAY_DASHBOARD_PORT:-8265}"
CLIENT_PORT="${FAS_RAY_CLIENT_PORT:-10001}"
AGENT_PORT="${FAS_RAY_AGENT_PORT:-52365}"
WORKER_AGENT_PORT="${FAS_RAY_WORKER_AGENT_PORT:-52366}"
HEAD_CPUS="${FAS_RAY_HEAD_CPUS:-2}"
WORKER_CPUS="${FAS_RAY_WORKER_CPUS:-1}"
OBJECT_STORE_BYTES=$((${FAS_RAY_OBJECT_STORE_MB:-300} * 1024 * 1024))
TEMP_DIR="${FAS_RAY_TEMP_DIR:-/tmp/fas-ray-mn-$GCS_PORT}"
mkdir -p "$TEMP_DIR"
TEMP_DIR="$(cd "$TEMP_DIR" && pwd -P)"  # the form Ray writes in its command lines
HEAD_STATE="$TEMP_DIR/head.sid"
WORKER_STATE="$TEMP_DIR/worker.sid"
GCS_STATE="$TEMP_DIR/gcs.sid"  # a GCS restarted by restart-gcs runs in its own session

start() {
    fas_ray_use_venv
    fas_ray_node_env
    # Must stay unset (or 1): RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 refuses a second node.
    unset RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER RAY_ADDRESS
    for state in "$HEAD_STATE" "$WORKER_STATE"; do
        if [[ -f "$state" && -n "$(fas_ray_session_pids "$(cat "$state")" "$TEMP_DIR")" ]]; then
            die "already running ($state); run: $0 stop"
        fi
    done
    echo "venv: $VIRTUAL_ENV    temp dir: $TEMP_DIR"

    local ft=()
    if [[ -n "${FAS_RAY_REDIS_ADDRESS:-}" ]]; then
        # GCS fault tolerance: the GCS writes its state to this Redis and reloads it on restart
        export RAY_REDIS_ADDRESS="$FAS_RAY_REDIS_ADDRESS"
        ft=(--redis-password="${FAS_RAY_REDIS_PASSWORD:-}")
        echo "GCS fault tolerance: state in Redis at $FAS_RAY_REDIS_ADDRESS"
    fi
    echo "starting head on $HEAD_IP:$GCS_PORT ..."
    if ! fas_ray_start_in_session "$HEAD_STATE" "$FAS_RAY_RAY" start --head "${ft[@]}" \
        --node-ip-address="$HEAD_IP" --port="$GCS_PORT" \
        --dashboard-host=127.0.0.1 --dashboard-port="$DASHBOARD_PORT" \
        --ray-client-server-port="$CLIENT_PORT" --dashboard-agent-listen-port="$AGENT_PORT" \
        --num-cpus="$HEAD_CPUS" --object-store-memory="$OBJECT_STORE_BYTES" \
        --temp-dir="$TEMP_DIR" --disable-usage-stats >"$TEMP_DIR/head-start.log" 2>&1; then
        cat "$TEMP_DIR/head-start.log" >&2
        stop >/dev/null 2>&1 || true
        die "head failed to start (log above)"
    fi

    echo "starting worker on $WORKER_IP ..."
    if ! fas_ray_start_in_session "$WORKER_STATE" "$FAS_RAY_RAY" start \
        --address="$HEAD_IP:$GCS_PORT" --node-ip-address="$WORKER_IP" \
        --dashboard-agent-listen-port="$WORKER_AGENT_PORT" --metrics-export-port=0 \
        --num-cpus="$WORKER_CPUS" --object-store-memory="$OBJECT_STORE_BYTES" \
        --temp-dir="$TEMP_DIR" --disable-usage-stats >"$TEMP_DIR/worker-start.log" 2>&1; then
        cat "$TEMP_DIR/worker-start.log" >&2
        stop >/dev/null 2>&1 || true
        die "worker failed to start (log above)"
    fi

    # Wait until the GCS reports both nodes alive (the State API behind the dashboard).
    if ! python - "http://127.0.0.1:$DASHBOARD_PORT/api/v0/nodes?detail=false" <<'PY'; then
import json, sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
            nodes = json.load(r)["data"]["result"]["result"]
        if sum(n["state"] == "ALIVE" for n in nodes) >= 2:
            break
    except (OSError, ValueError, KeyError):
        pass
    if time.monotonic() > deadline:
        sys.exit("the worker did not join within 60 s")
    time.sleep(1)
PY
        stop >/dev/null 2>&1 || true
        die "cluster did not come up; logs in $TEMP_DIR/session_latest/logs"
    fi

    cat <<EOF

Two-node cluster running: head $HEAD_IP:$GCS_PORT ($HEAD_CPUS CPUs), worker $WORKER_IP ($WORKER_CPUS CPUs)
Dashboard + Jobs API: http://127.0.0.1:$DASHBOARD_PORT

  ray job submit --address http://127.0.0.1:$DASHBOARD_PORT \\
      --runtime-env cluster/runtime_env.yaml -- \\
      fas-ray run "\$PWD/data.csv" --target y --data-root "\$PWD/fas_data"

  RAY_ADDRESS=$HEAD_IP:$GCS_PORT fas-ray run data.csv --target y   # driver on this machine

Status: $0 status    Stop: $0 stop    Logs: $TEMP_DIR/session_latest/logs
EOF
}

status() {
    fas_ray_use_venv
    fas_ray_node_env
    unset RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER
    "$FAS_RAY_RAY" status --address="$HEAD_IP:$GCS_PORT"
}

stop() {
    if [[ ! -f "$HEAD_STATE" && ! -f "$WORKER_STATE" ]]; then
        echo "no cluster started by this script found in $TEMP_DIR"
        return 0
    fi
    echo "worker:"
    fas_ray_stop_sessions "$WORKER_STATE"
    echo "head:"
    fas_ray_stop_sessions "$HEAD_STATE" "$GCS_STATE"
}

# The worker node lost, as when its machine dies: every process of its session SIGKILLed at
# once, with no chance to say goodbye to the head (for fault tests and demonstrations).
kill_worker() {
    [[ -f "$WORKER_STATE" ]] || die "no worker started by this script in $TEMP_DIR"
    local pids
    pids="$(fas_ray_session_pids "$(cat "$WORKER_STATE")" "$TEMP_DIR" | tr '\n' ' ')"
    [[ -n "${pids// /}" ]] || die "the worker node has no running processes"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    rm -f "$WORKER_STATE"
    echo "worker node killed (SIGKILL):" $pids
}

# The head's GCS process SIGKILLed and started again with the same command line, as a
# supervisor (KubeRay, systemd) would restart it. With FAS_RAY_REDIS_ADDRESS it reloads the
# cluster's state from Redis and the nodes, actors and objects carry on; without it the GCS
# comes back empty and the cluster does not recover.
restart_gcs() {
    local pid="" p
    for p in $(pgrep -x gcs_server); do
        if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "--gcs_server_port=$GCS_PORT "; then
            pid="$p"
        fi
    done
    [[ -n "$pid" ]] || die "no GCS of this cluster is running (port $GCS_PORT)"
    local cmd=()
    mapfile -d '' cmd <"/proc/$pid/cmdline"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    echo "GCS killed (SIGKILL, pid $pid); starting it again"
    fas_ray_start_in_session "$GCS_STATE" "${cmd[@]}" </dev/null >/dev/null 2>&1 &
    disown
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    kill-worker) kill_worker ;;
    restart-gcs) restart_gcs ;;
    *)
        echo "usage: $0 start|status|stop|kill-worker|restart-gcs" >&2
        exit 2
        ;;
esac
