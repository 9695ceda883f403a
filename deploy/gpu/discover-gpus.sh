#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this node as Spark's resource JSON,
#   {"name":"gpu","addresses":["0","1"]}
# The addresses are CUDA device indices, which io.srwmspark.driver.GpuPinning pins ND4J to. Where
# CUDA_VISIBLE_DEVICES limits what a process sees, CUDA numbers the visible devices 0..n-1, so those are printed.
#
# Used by Spark as spark.worker.resource.gpu.discoveryScript (standalone Workers) or
# spark.executor.resource.gpu.discoveryScript (YARN, Kubernetes); see conf/spark-gpu.conf.
# Needs nvidia-smi (the NVIDIA driver) on PATH.
set -euo pipefail

name="${0##*/}"
die() {
  echo "$name: $1" >&2
  exit 1
}

command -v nvidia-smi >/dev/null 2>&1 \
  || die "nvidia-smi not found on PATH ($PATH): install the NVIDIA driver on this node, or do not request GPUs here"
if ! out="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>&1)"; then
  die "nvidia-smi --query-gpu=index --format=csv,noheader failed: ${out:-no output}"
fi

indices=()
while IFS= read -r line; do
  line="${line//[[:space:]]/}"
  [[ -z "$line" ]] && continue
  [[ "$line" =~ ^[0-9]+$ ]] || die "nvidia-smi printed '$line' where a GPU index was expected"
  indices+=("$line")
done <<< "$out"
(( ${#indices[@]} > 0 )) || die "nvidia-smi lists no GPU on this node"

if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
  IFS=',' read -r -a visible <<< "$CUDA_VISIBLE_DEVICES"
  (( ${#visible[@]} <= ${#indices[@]} )) \
    || die "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES names ${#visible[@]} devices but nvidia-smi lists ${#indices[@]}"
  indices=()
  for (( i = 0; i < ${#visible[@]}; i++ )); do
    indices+=("$i")
  done
fi

json=""
for i in "${indices[@]}"; do
  json+="${json:+,}\"$i\""
done
printf '{"name":"gpu","addresses":[%s]}\n' "$json"
