#!/usr/bin/env bash
# Few-shot evaluation table: the TF-IDF baseline and, optionally, one sentence-transformers model, on
# the public sets in ../shared/data, printed as a Markdown table.
#
#   scripts/eval_table.sh [MODEL]
#
# MODEL is a sentence-transformers folder or hub name (without it only the baseline runs). Per data
# set: k-way 1-shot and 5-shot episodes (5-way, 2-way for the binary SST-2 and CR; 15 queries per
# label; EPISODES episodes, seed 0) for every method in METHODS; the SetFit protocol (8 examples per
# label, seeds 0-4) for SETFIT_METHODS where a train/test split exists; and STS-B dev and SICK test
# Spearman correlation (x100) of cosine similarity.
#
# Environment:
#   FEWSHOT_SHARED_DATA  data folder (default ../shared/data)
#   METHODS              episode methods (default prototype,knn,logreg)
#   SETFIT_METHODS       SetFit-protocol methods (default prototype,logreg; knn over CLINC150's 4500
#                        test texts x 1200 TF-IDF vectors takes minutes on two cores)
#   EPISODES             episodes per configuration (default 1000)
#   FEWSHOT_ARGS         extra flags for every run, e.g. "--device cuda --threads 8"
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=${FEWSHOT_SHARED_DATA:-../shared/data}
METHODS=${METHODS:-prototype,knn,logreg}
SETFIT_METHODS=${SETFIT_METHODS:-prototype,logreg}
EPISODES=${EPISODES:-1000}
read -r -a EXTRA <<<"${FEWSHOT_ARGS:-}"

command -v jq >/dev/null || { echo "eval_table.sh: needs jq" >&2; exit 1; }
[ -d "$DATA/classification" ] || { echo "eval_table.sh: no data at $DATA (set FEWSHOT_SHARED_DATA)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BIN=$tmp/fewshot
go build -o "$BIN" ./cmd/fewshot

models=(tfidf)
if [ $# -ge 1 ] && [ -n "$1" ]; then models+=("$1"); fi

C=$DATA/classification
S=$DATA/similarity
# name | data flags for episodes | way
EPISODE_SETS=(
	"Banking77|--data $C/banking77/train.csv|5"
	"CLINC150|--data $C/clinc150/data_full.json --split test|5"
	"SNIPS|--data $C/snips --split test|5"
	"TREC (coarse)|--data $C/trec/TREC.train --format trec|5"
	"SST-2|--data $C/sst2/stsa.binary.dev|2"
	"CR|--data $C/cr/custrev.all --format sst|2"
	"emotion|--data $C/emotion/val.txt --format emotion|5"
)
# name | train/test flags
SETFIT_SETS=(
	"CLINC150|--train $C/clinc150/data_full.json --train-split train --test $C/clinc150/data_full.json --test-split test"
	"SNIPS|--train $C/snips --train-split train --test $C/snips --test-split test"
	"SST-2|--train $C/sst2/stsa.binary.train --test $C/sst2/stsa.binary.dev"
	"emotion|--train $C/emotion/train.txt --test $C/emotion/val.txt --format emotion"
)
# name | data flags
STS_SETS=(
	"STS-B dev|--data $S/stsbenchmark/sts-dev.csv"
	"SICK test|--data $S/sick/SICK.txt --format sick --split TEST"
)

declare -A cell
rows=()
addrow() { # key
	local k
	for k in "${rows[@]}"; do [ "$k" = "$1" ] && return; done
	rows+=("$1")
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f ± %.1f", 100*a, 100*b }'; }

start=$SECONDS
for mi in "${!models[@]}"; do
	m=${models[$mi]}
	for spec in "${EPISODE_SETS[@]}"; do
		IFS='|' read -r name flags way <<<"$spec"
		for shot in 1 5; do
			echo "eval_table: $m: $name $way-way $shot-shot episodes ($METHODS)" >&2
			# shellcheck disable=SC2086
			out=$("$BIN" eval episodes --model "$m" "${EXTRA[@]}" $flags --way "$way" --shot "$shot" --query 15 \
				--episodes "$EPISODES" --seed 0 --method "$METHODS" --json)
			while IFS=$'\t' read -r method acc ci; do
				key="$name|$way-way $shot-shot|$method"
				addrow "$key"
				cell["$key|$mi"]=$(pct "$acc" "$ci")
			done < <(jq -r '[.method, .accuracy, .ci95] | @tsv' <<<"$out")
		done
	done
	for spec in "${SETFIT_SETS[@]}"; do
		IFS='|' read -r name flags <<<"$spec"
		echo "eval_table: $m: $name SetFit protocol ($SETFIT_METHODS)" >&2
		# shellcheck disable=SC2086
		out=$("$BIN" eval classify --model "$m" "${EXTRA[@]}" $flags --shots 8 --seeds 5 --method "$SETFIT_METHODS" --json)
		while IFS=$'\t' read -r method acc sd; do
			key="$name|SetFit 8/label, 5 seeds|$method"
			addrow "$key"
			cell["$key|$mi"]=$(pct "$acc" "$sd")
		done < <(jq -r '[.method, .accuracy_mean, .accuracy_sd] | @tsv' <<<"$out")
	done
	for spec in "${STS_SETS[@]}"; do
		IFS='|' read -r name flags <<<"$spec"
		echo "eval_table: $m: $name" >&2
		# shellcheck disable=SC2086
		out=$("$BIN" eval sts --model "$m" "${EXTRA[@]}" $flags --json)
		key="$name|Spearman x100|cosine"
		addrow "$key"
		cell["$key|$mi"]=$(awk -v r="$(jq -r '.spearman' <<<"$out")" 'BEGIN { printf "%.1f", 100*r }')
	done
done

header="| data set | protocol | method |"
rule="|---|---|---|"
for m in "${models[@]}"; do
	header+=" $m |"
	rule+="---:|"
done
echo
echo "Accuracy % (episodes: mean ± 95% CI half-width; SetFit protocol: mean ± SD over seeds); STS: Spearman x100."
echo "$EPISODES episodes per row, seed 0, 15 queries per label. $(date -u +%Y-%m-%d), $((SECONDS - start)) s."
echo
echo "$header"
echo "$rule"
for key in "${rows[@]}"; do
	IFS='|' read -r name proto method <<<"$key"
	line="| $name | $proto | $method |"
	for mi in "${!models[@]}"; do
		line+=" ${cell["$key|$mi"]:-} |"
	done
	echo "$line"
done
