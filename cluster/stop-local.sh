#!/usr/bin/env bash
# Stop the head started by start-local.sh (same FAS_RAY_GCS_PORT / FAS_RAY_TEMP_DIR).
#
# Only the processes of that head (and the jobs it ran) are stopped; unlike `ray stop`, other
# Ray clusters on the machine are left alone. The temp dir (logs) is kept; delete it by hand.
set -euo pipefail
# shellcheck source=cluster/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

GCS_PORT="${FAS_RAY_GCS_PORT:-6379}"
TEMP_DIR="${FAS_RAY_TEMP_DIR:-/tmp/fas-ray-$GCS_PORT}"
STATE="$TEMP_DIR/fas-ray-local.sid"

[[ -d "$TEMP_DIR" ]] && STATE="$(cd "$TEMP_DIR" && pwd -P)/fas-ray-local.sid"
if [[ ! -f "$STATE" ]]; then
    echo "no head started by start-local.sh found ($STATE missing)"
    exit 0
fi
fas_ray_stop_sessions "$STATE"
