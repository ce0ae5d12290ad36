#!/bin/bash
# Models trained by an older checkout give the same bytes with this one (issue 25).
# Usage: benchmarks/same_outputs.sh OLD_CHECKOUT WORK_DIR   (git worktree add OLD COMMIT)
# Trains four small models with OLD, writes 21 outputs (evaluate --json and tables, tag in
# four ways, a report) with OLD and with this checkout, and compares them with cmp.
set -euo pipefail
OLD=$(realpath "$1"); WORK=$(realpath -m "$2"); NEW=$(realpath "$(dirname "$0")/..")
PY=$NEW/.venv/bin/python
export TAGGER_DATA_DIR=${TAGGER_DATA_DIR:-$(realpath "$NEW/../shared/corpora")}
mkdir -p "$WORK"
EWT_TEST=$TAGGER_DATA_DIR/ud-english-ewt/en_ewt-ud-test.conllu
(cat "$NEW/corpora/samples/sample.txt"; grep -m 300 "^# text = " "$EWT_TEST" | sed 's/^# text = //') > "$WORK/text.txt"

train() {  # CONFIG NAME EPOCHS SENTENCES, with the old code
  (cd "$OLD" && PYTHONPATH=$OLD $PY -m tagger train "configs/$1" -o "$WORK/$2" --quiet \
    --set train.max_epochs="$3" --set data.max_train_sentences="$4" > /dev/null)
}
[ -d "$WORK/pos" ] || train pos-ewt.toml pos 2 3000
[ -d "$WORK/ner" ] || train ner-conll03.toml ner 2 3000
[ -d "$WORK/sst" ] || train sentiment-sst2.toml sst 2 3000
[ -d "$WORK/tok" ] || train tokenize-ewt.toml tok 1 500

outputs() {  # CODE OUT
  local out=$WORK/$2; mkdir -p "$out"; cd "$1"
  local T="env PYTHONPATH=$1 $PY -m tagger"
  for m in pos:ud-english-ewt ner:conll2003-en sst:sst-trees tok:ud-english-ewt; do
    $T evaluate "$WORK/${m%%:*}" "${m#*:}" --split test --json > "$out/${m%%:*}.eval.json" 2>&1
    $T evaluate "$WORK/${m%%:*}" "${m#*:}" --split test > "$out/${m%%:*}.eval.txt" 2>&1
  done
  $T tag "$WORK/pos" "$WORK/text.txt" --format conllu --scores > "$out/pos.tag.conllu" 2>&1
  $T tag "$WORK/ner" "$WORK/text.txt" --format jsonl --scores > "$out/ner.tag.jsonl" 2>&1
  $T tag "$WORK/sst" "$WORK/text.txt" --format jsonl > "$out/sst.tag.jsonl" 2>&1
  $T tag "$WORK/pos" "$WORK/text.txt" --tokenizer "$WORK/tok" > "$out/tok.tag.conllu" 2>&1
  $T report "$WORK/ner" --corpus conll2003-en --split dev -o "$out/ner.report.html" \
    --examples 2 > /dev/null 2>&1
}
outputs "$OLD" before
outputs "$NEW" after
different=0
for f in "$WORK"/before/*; do
  if cmp -s "$f" "$WORK/after/$(basename "$f")"; then echo "same $(basename "$f")"
  else echo "DIFFERENT $(basename "$f")"; different=1; fi
done
exit $different
