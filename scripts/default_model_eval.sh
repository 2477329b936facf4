#!/usr/bin/env bash
# The default model's quality on data its recipe never trained on, beside the TF-IDF baseline computed
# by the same evaluator, as a Markdown table:
#
#   scripts/default_model_eval.sh [MODEL]      (default: the embedded model, i.e. no --model)
#
# Rows: Banking77 5-way 1-shot and 5-shot episodes (prototype, 15 queries per label, EPISODES episodes,
# seed 0); STS-B dev and SICK test Spearman of cosine similarity; TREC coarse zero-shot accuracy with the
# label names (abbreviation, description, entity, human, location, number).
#
# Environment: FEWSHOT_SHARED_DATA (../shared/data), EPISODES (1000), FEWSHOT_ARGS (extra flags).
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=${FEWSHOT_SHARED_DATA:-../shared/data}
EPISODES=${EPISODES:-1000}
read -r -a EXTRA <<<"${FEWSHOT_ARGS:-}"
command -v jq >/dev/null || { echo "default_model_eval.sh: needs jq" >&2; exit 1; }
[ -d "$DATA/classification" ] || { echo "default_model_eval.sh: no data at $DATA (set FEWSHOT_SHARED_DATA)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BIN=$tmp/fewshot
go build -o "$BIN" ./cmd/fewshot

C=$DATA/classification
S=$DATA/similarity
NAMES="ABBR=abbreviation,DESC=description,ENTY=entity,HUM=human,LOC=location,NUM=number"
MODEL=${1:-}
label=${MODEL:-default (embedded)}

pct() { awk -v x="$1" 'BEGIN { printf "%.1f", 100 * x }'; }

# measure MODEL_ARGS... -- prints one cell per measure, tab-separated
measure() {
	local m=("$@") out row=()
	for shot in 1 5; do
		out=$("$BIN" eval episodes "${m[@]}" "${EXTRA[@]}" --data "$C/banking77/train.csv" --way 5 --shot "$shot" \
			--query 15 --episodes "$EPISODES" --seed 0 --method prototype --json)
		row+=("$(jq -r '[100*.accuracy, 100*.ci95] | @tsv' <<<"$out" | awk -F'\t' '{ printf "%.1f ± %.1f", $1, $2 }')")
	done
	out=$("$BIN" eval sts "${m[@]}" "${EXTRA[@]}" --data "$S/stsbenchmark/sts-dev.csv" --json)
	row+=("$(pct "$(jq -r .spearman <<<"$out")")")
	out=$("$BIN" eval sts "${m[@]}" "${EXTRA[@]}" --data "$S/sick/SICK.txt" --format sick --split TEST --json)
	row+=("$(pct "$(jq -r .spearman <<<"$out")")")
	out=$("$BIN" eval zeroshot "${m[@]}" "${EXTRA[@]}" --data "$C/trec/TREC.train" --format trec --label-names "$NAMES" --json)
	row+=("$(pct "$(jq -r .accuracy <<<"$out")")")
	pct "$(jq -r .majority <<<"$out")" >"$tmp/majority"
	(IFS=$'\t'; echo "${row[*]}")
}

start=$SECONDS
echo "default_model_eval: TF-IDF" >&2
IFS=$'\t' read -r -a base < <(measure --model tfidf)
echo "default_model_eval: $label" >&2
margs=()
[ -n "$MODEL" ] && margs=(--model "$MODEL")
IFS=$'\t' read -r -a mine < <(measure "${margs[@]}")

rows=("Banking77, 5-way 1-shot episodes (prototype), accuracy %"
	"Banking77, 5-way 5-shot episodes (prototype), accuracy %"
	"STS-B dev, Spearman x100"
	"SICK test, Spearman x100"
	"TREC coarse, zero-shot with label names, accuracy %")
echo
echo "$EPISODES episodes (seed 0, 15 queries per label; ± is the 95% interval half-width). $(date -u +%Y-%m-%d), $((SECONDS - start)) s."
echo
echo "| held-out task | TF-IDF | $label |"
echo "|---|---:|---:|"
for i in "${!rows[@]}"; do
	echo "| ${rows[$i]} | ${base[$i]} | ${mine[$i]} |"
done
echo
echo "TREC zero-shot: the majority class is $(cat "$tmp/majority")% of the texts; TF-IDF scores 0 for a question that shares no word with any label name and then picks the first label (ABBR)."
