#!/usr/bin/env bash
# SetFit on real data: 8 labelled examples per class from SST-2, CR and emotion, 5 seeds. For each data set
# it reports the test accuracy of a logistic-regression head on the FROZEN model, on the model fine-tuned
# SetFit-style (contrastive pairs, CosineSimilarityLoss, 20 iterations, 1 epoch, batch 16), and on the
# model fine-tuned with EDA augmentation (--augment eda). Same seeds (0..4) pick the same examples in all
# three columns. CR has no test split: every 5th line of custrev.all is the test set, the rest training.
#
# Usage: scripts/setfit_table.sh MODEL [seeds=5] [lr=2e-5]
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1
seeds=${2:-5}
lr=${3:-2e-5}
shared=${FEWSHOT_SHARED_DATA:-../shared/data}
work=build/setfit
mkdir -p "$work"
go build -o "$work/fewshot" ./cmd/fewshot
fs="$work/fewshot"
awk 'NR % 5 != 0' "$shared/classification/cr/custrev.all" >"$work/cr-train.sst"
awk 'NR % 5 == 0' "$shared/classification/cr/custrev.all" >"$work/cr-test.sst"
declare -A train test fmt
train[sst2]="$shared/classification/sst2/stsa.binary.train"; test[sst2]="$shared/classification/sst2/stsa.binary.dev"; fmt[sst2]=sst
train[cr]="$work/cr-train.sst"; test[cr]="$work/cr-test.sst"; fmt[cr]=sst
train[emotion]="$shared/classification/emotion/train.txt"; test[emotion]="$shared/classification/emotion/val.txt"; fmt[emotion]=emotion
echo "| data set | frozen + logreg | SetFit | SetFit + EDA |"
echo "|---|---|---|---|"
for ds in sst2 cr emotion; do
  frozen=$("$fs" eval classify --model "$model" --train "${train[$ds]}" --test "${test[$ds]}" --format "${fmt[$ds]}" \
    --shots 8 --seeds "$seeds" --method logreg --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); print("%.3f ± %.3f" % (r["accuracy_mean"], r["accuracy_sd"]))')
  cols=("$frozen")
  for aug in none eda; do
    accs=()
    for s in $(seq 0 $((seeds - 1))); do
      out="$work/run-$ds-$aug-$s"
      rm -rf "$out"
      acc=$("$fs" train setfit --model "$model" --data "${train[$ds]}" --eval "${test[$ds]}" --format "${fmt[$ds]}" \
        --shots 8 --seed "$s" --lr "$lr" --num-iterations 20 --augment "$aug" --save-every 0 --out "$out" 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys; r=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(r["eval_accuracy"])')
      accs+=("$acc")
      rm -rf "$out"
    done
    cols+=("$(printf '%s\n' "${accs[@]}" | /usr/bin/python3 -c 'import sys,statistics as s; v=[float(x) for x in sys.stdin]; print(f"{s.mean(v):.3f} ± {s.pstdev(v):.3f}")')")
  done
  echo "| $ds | ${cols[0]} | ${cols[1]} | ${cols[2]} |"
done
