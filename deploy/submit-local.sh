#!/usr/bin/env bash
# Runs an srwm-spark job with spark-submit on this machine: Spark in one JVM, N task threads (local[N]).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<USAGE
Usage: deploy/submit-local.sh [--threads N] [--driver-memory MEM] [common options] [--] SRWM_COMMAND...

Runs srwm's command line with \$SPARK_HOME/bin/spark-submit --master local[N], with conf/spark-defaults.conf.

Options:
  --threads N          task threads (default: all cores, local[*])
  --driver-memory MEM  heap of the one JVM (default 8g)
$SRWM_COMMON_USAGE

Example:
  deploy/submit-local.sh --threads 2 fewshot train --steps 200 --out runs/local-demo --partitions 2
USAGE
}

threads="*"
driver_memory="8g"
own_option() {
  SRWM_SHIFT=0
  case "$1" in
    --threads)
      srwm_need_value "$1" "$#"
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || srwm_die "--threads wants a positive integer, got '$2'"
      threads="$2"; SRWM_SHIFT=2 ;;
    --driver-memory)
      srwm_need_value "$1" "$#"; driver_memory="$2"; SRWM_SHIFT=2 ;;
  esac
}

srwm_parse "$@"
jar="$(srwm_find_jar)"
SRWM_SPARK_ARGS=(--master "local[$threads]" --driver-memory "$driver_memory"
  "${SRWM_SPARK_ARGS[@]+"${SRWM_SPARK_ARGS[@]}"}")
srwm_submit "$jar"
