# shellcheck shell=bash
# Shared helpers for the cluster/*.sh scripts. Source it; do not run it.
#
# Scoping: `ray stop` kills every Ray process on the machine (other people's too), so these
# scripts never call it. Each node is started under `setsid`; its session id (SID) is written to
# a state file, and stopping kills exactly the processes of that session plus their descendants
# (job drivers start their own sessions, but their parents are in ours).

FAS_RAY_CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FAS_RAY_REPO="$(dirname "$FAS_RAY_CLUSTER_DIR")"

die() {
    echo "error: $*" >&2
    exit 2
}

# Find the venv holding ray and fas-ray: $FAS_RAY_VENV, else the active $VIRTUAL_ENV, else the
# repository's .venv. Puts its bin first on PATH: a job's `python`/`fas-ray` is whatever was on
# PATH when `ray start` ran.
fas_ray_use_venv() {
    local candidate venv=""
    for candidate in "${FAS_RAY_VENV:-}" "${VIRTUAL_ENV:-}" "$FAS_RAY_REPO/.venv"; do
        if [[ -n "$candidate" && -x "$candidate/bin/ray" && -x "$candidate/bin/fas-ray" ]]; then
            venv="$(cd "$candidate" && pwd)"
            break
        fi
    done
    [[ -n "$venv" ]] || die "no venv with ray and fas-ray found (tried \$FAS_RAY_VENV," \
        "\$VIRTUAL_ENV, $FAS_RAY_REPO/.venv); create one: python3.11 -m venv .venv &&" \
        ".venv/bin/pip install -e ."
    export VIRTUAL_ENV="$venv"
    export PATH="$venv/bin:$PATH"
    # shellcheck disable=SC2034  # used by the scripts that source this file
    FAS_RAY_RAY="$venv/bin/ray"
}

# Environment every node gets: no token auth (local only), no usage stats (no internet here).
fas_ray_node_env() {
    export RAY_AUTH_MODE=disabled
    export RAY_USAGE_STATS_ENABLED=0
}

# Run "$@" (a `ray start` command) in a new session and write that session's id to $1.
fas_ray_start_in_session() {
    local sid_file="$1"
    shift
    # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
    setsid bash -c 'ps -o sid= -p $$ | tr -d " " > "$0"; exec "$@"' "$sid_file" "$@"
}

# PIDs (one a line) of session $1 and all their descendants, owned by this user. Nothing if no
# process of the session has $2 (our temp dir) in its command line: a stale state file whose
# session id now belongs to someone else's processes must not get them killed.
fas_ray_session_pids() {
    local sid="$1" marker="$2" p found=""
    [[ "$sid" =~ ^[0-9]+$ ]] || return 0
    for p in $(ps -e -o pid=,sid= | awk -v sid="$sid" '$2 == sid { print $1 }'); do
        if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$marker"; then
            found=1
            break
        fi
    done
    [[ -n "$found" ]] || return 0
    ps -e -o pid=,ppid=,sid=,uid= | awk -v sid="$sid" -v uid="$(id -u)" '
        $4 == uid { ppid[$1] = $2; if ($3 == sid) keep[$1] = 1 }
        END {
            changed = 1
            while (changed) {
                changed = 0
                for (p in ppid) if (!(p in keep) && (ppid[p] in keep)) { keep[p] = 1; changed = 1 }
            }
            for (p in keep) print p
        }'
}

# Is any of the PIDs given still running (not a zombie)? Prints those that are.
fas_ray_alive() {
    local p
    for p in "$@"; do
        if [[ -e /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
            echo "$p"
        fi
    done
}

# SIGTERM the PIDs given, wait up to $1 seconds, SIGKILL what is left.
fas_ray_term_wait_kill() {
    local grace="$1" deadline left
    shift
    (($#)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    deadline=$((SECONDS + grace))
    while left="$(fas_ray_alive "$@")"; [[ -n "$left" ]] && ((SECONDS < deadline)); do
        sleep 0.5
    done
    if [[ -n "$left" ]]; then
        # shellcheck disable=SC2086
        echo "killing (SIGKILL):" $left
        # shellcheck disable=SC2086
        kill -KILL $left 2>/dev/null || true
    fi
}

# Stop the processes of the sessions whose ids are in the files given, in the order `ray stop`
# uses: raylets, then everything else (workers, dashboard, job drivers), then the GCS; each step
# SIGTERMs, waits up to a third of $FAS_RAY_STOP_GRACE seconds (default 30), then SIGKILLs.
fas_ray_stop_sessions() {
    local grace="${FAS_RAY_STOP_GRACE:-30}" file sid all="" p comm
    local raylets=() others=() gcs=()
    for file in "$@"; do
        [[ -f "$file" ]] || continue
        sid="$(cat "$file")"
        all="$all $(fas_ray_session_pids "$sid" "$(dirname "$file")" | tr '\n' ' ')"
    done
    for p in $all; do
        comm="$(cat "/proc/$p/comm" 2>/dev/null)" || continue
        case "$comm" in
            raylet) raylets+=("$p") ;;
            gcs_server) gcs+=("$p") ;;
            *) others+=("$p") ;;
        esac
    done
    local total=$((${#raylets[@]} + ${#others[@]} + ${#gcs[@]}))
    if ((total == 0)); then
        echo "no running processes found"
    else
        echo "stopping $total processes"
        fas_ray_term_wait_kill $((grace / 3)) "${raylets[@]}"
        fas_ray_term_wait_kill $((grace / 3)) "${others[@]}"
        fas_ray_term_wait_kill $((grace / 3)) "${gcs[@]}"
        echo "stopped"
    fi
    rm -f "$@"
}
