#!/usr/bin/env bash
# Training and evaluation speed of this checkout against an earlier commit, measured side by side in one run:
#   bash benchmarks/compare-commits.sh <base-commit> [rounds]
# Builds <base-commit> in a temporary worktree, then alternates the two builds round by round (A B, B A, ...):
# `prlstm train` on parity_check (H = 64, B = 128, 300 steps; the steps/s the trainer reports at the end) and the full
# evaluation protocol of that single-output task (`prlstm eval`, lengths 41..500, 8 x 64 sequences each; wall time).
# Prints each round and the medians of the per-round ratios (this checkout over the base).
set -euo pipefail
base=${1:?usage: compare-commits.sh <base-commit> [rounds]}
rounds=${2:-5}
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "building this checkout and $base ..."
dotnet build "$root/examples/FormalLanguages" -c Release -v q -nologo >/dev/null
git -C "$root" worktree add --detach "$work/base" "$base" >/dev/null 2>&1
dotnet build "$work/base/examples/FormalLanguages" -c Release -v q -nologo >/dev/null
declare -A cli=([new]="$root/examples/FormalLanguages/bin/Release/net10.0/prlstm.dll"
                [base]="$work/base/examples/FormalLanguages/bin/Release/net10.0/prlstm.dll")

train() { # prints the final steps/s of a 300-step run into $work/$1
  dotnet "${cli[$1]}" train --task parity_check --hidden 64 --batch-size 128 --steps 300 --log-every 100 \
    --checkpoint-every 300 --eval-lengths none --out "$work/run-$1" 2>&1 | grep -o '[0-9.]* steps/s' | tail -1 | cut -d' ' -f1
}
evaluate() { # prints the wall seconds of the full evaluation protocol of the run in $work/run-$1
  local start end
  start=$(date +%s.%N)
  dotnet "${cli[$1]}" eval --checkpoint "$work/run-$1" --lengths 41-500 --batches 8 --batch-size 64 >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

train_ratios=(); eval_ratios=()
for ((r = 1; r <= rounds; r++)); do
  order=(new base); ((r % 2 == 0)) && order=(base new)
  declare -A steps=() seconds=()
  for build in "${order[@]}"; do
    rm -rf "$work/run-$build"
    steps[$build]=$(train "$build")
    seconds[$build]=$(evaluate "$build")
  done
  t=$(awk -v a="${steps[new]}" -v b="${steps[base]}" 'BEGIN { print a / b }')
  e=$(awk -v a="${seconds[base]}" -v b="${seconds[new]}" 'BEGIN { print a / b }')
  train_ratios+=("$t"); eval_ratios+=("$e")
  printf 'round %d: train %s vs %s steps/s (%.2fx); eval %.1f vs %.1f s (%.2fx faster)\n' "$r" "${steps[new]}" "${steps[base]}" \
    "$t" "${seconds[new]}" "${seconds[base]}" "$e"
done
printf 'median over %d rounds, this checkout / %s: training steps/s %.2fx; full evaluation %.2fx faster\n' "$rounds" "$base" \
  "$(printf '%s\n' "${train_ratios[@]}" | median)" "$(printf '%s\n' "${eval_ratios[@]}" | median)"
