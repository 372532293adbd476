#!/usr/bin/env bash
# One virtual environment per AutoML peer under bench/.venvs/<name> (git-ignored):
#
#   bench/peers/setup.sh                 # flaml, autogluon, h2o (skips a venv already complete)
#   bench/peers/setup.sh h2o             # only the named ones
#   FORCE=1 bench/peers/setup.sh flaml   # rebuild
#
# flaml      flaml[automl] 2.7.0 (LightGBM, XGBoost < 3, scikit-learn's forests)
# autogluon  autogluon.tabular[all] 1.6.3 with torch==2.13.0, the CPU wheel on this machine's disk
#            (AutoGluon asks torch>=2.10,<2.14; an unpinned torch would pull a multi-GB CUDA build)
# h2o        h2o 3.46.x (its JVM needs Java 17: /usr/bin/java)
#
# Each also gets pandas, pyarrow, numpy and scikit-learn. A venv counts as complete when its
# marker file .complete exists; the marker is written only after the imports succeed.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
ROOT=.venvs
mkdir -p "$ROOT"
TORCH=torch==2.13.0

declare -A SPEC=(
  [flaml]="flaml[automl]==2.7.0 pandas pyarrow numpy scikit-learn"
  [autogluon]="autogluon.tabular[all]==1.6.3 pandas pyarrow numpy scikit-learn"
  [h2o]="h2o>=3.46,<3.47 pandas pyarrow numpy scikit-learn"
)
declare -A CHECK=(
  [flaml]="import flaml, lightgbm, xgboost, pyarrow; from flaml import AutoML"
  [autogluon]="import torch, fastai, catboost, lightgbm, xgboost, pyarrow; from autogluon.tabular import TabularPredictor; assert not torch.cuda.is_available() and '+cpu' in torch.__version__, torch.__version__"
  [h2o]="import h2o, pyarrow; from h2o.automl import H2OAutoML"
)

status=0
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(flaml autogluon h2o)
for name in "${names[@]}"; do
  if [ -z "${SPEC[$name]+x}" ]; then
    echo "peers/setup.sh: $name: unknown peer (choose from: ${!SPEC[*]})" >&2
    status=1
    continue
  fi
  venv="$ROOT/$name"
  log="$ROOT/$name.log"
  if [ "${FORCE:-0}" = "1" ]; then rm -rf "$venv"; fi
  if [ -f "$venv/.complete" ]; then
    echo "peers/setup.sh: $name: already complete ($venv), skipped"
    continue
  fi
  start=$(date +%s)
  : >"$log"
  if [ ! -x "$venv/bin/python" ] && ! "$PYTHON" -m venv "$venv" >>"$log" 2>&1; then
    echo "peers/setup.sh: $name: '$PYTHON -m venv $venv' failed (log: bench/$log)" >&2
    status=1
    continue
  fi
  pip=("$venv/bin/python" -m pip install --quiet)
  args=()
  if [ "$name" = autogluon ]; then
    echo "$TORCH" >"$venv/constraints.txt"
    # the CPU torch first, then everything else under a constraint that keeps it
    if ! "${pip[@]}" "$TORCH" >>"$log" 2>&1; then
      echo "peers/setup.sh: $name: pip install $TORCH failed (log: bench/$log)" >&2
      status=1
      continue
    fi
    args=(-c "$venv/constraints.txt")
  fi
  # shellcheck disable=SC2086  # SPEC holds several requirement words
  if ! "${pip[@]}" "${args[@]}" ${SPEC[$name]} >>"$log" 2>&1; then
    echo "peers/setup.sh: $name: pip install ${SPEC[$name]} failed (log: bench/$log)" >&2
    status=1
    continue
  fi
  if ! "$venv/bin/python" -c "${CHECK[$name]}" >>"$log" 2>&1; then
    echo "peers/setup.sh: $name: installed but the import check failed (log: bench/$log)" >&2
    status=1
    continue
  fi
  "$venv/bin/python" -m pip check >>"$log" 2>&1 \
    || echo "peers/setup.sh: $name: pip check reports conflicts (see bench/$log); kept" >&2
  "$venv/bin/python" -m pip freeze >"$venv/freeze.txt" 2>/dev/null
  touch "$venv/.complete"
  echo "peers/setup.sh: $name: installed in $(($(date +%s) - start)) s ($(du -sh "$venv" | cut -f1))"
done
exit $status
