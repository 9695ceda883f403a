#!/usr/bin/env bash
# Submits an srwm-spark job to a Spark standalone cluster (spark://HOST:PORT).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<USAGE
Usage: deploy/submit-standalone.sh --master spark://HOST:PORT [options] [common options] [--] SRWM_COMMAND...

Submits srwm's command line to a standalone cluster with \$SPARK_HOME/bin/spark-submit, with
conf/spark-defaults.conf (and conf/spark-gpu.conf with --gpu).

Options:
  --master URL            the Master, spark://HOST:PORT (default: \$SPARK_MASTER_URL)
  --deploy-mode MODE      client (default: the driver runs here and writes the run folder here) or cluster
                          (the driver runs on a Worker: give the jar as a path every Worker can read)
  --total-cores N         cores for the whole application (spark.cores.max)
  --executor-cores N      cores per executor
  --executor-memory MEM   heap per executor (e.g. 4g)
  --driver-memory MEM     heap of the driver (default 4g)
$SRWM_COMMON_USAGE

Example:
  deploy/submit-standalone.sh --master spark://head:7077 --total-cores 8 --executor-cores 2 \\
      fewshot train --config fewshot-omniglot.conf --set data.path=hdfs://nn/data/omniglot \\
      --out runs/omniglot --partitions 8
With GPUs (one per executor; the Workers need spark.worker.resource.gpu.*, see conf/spark-gpu.conf):
  deploy/submit-standalone.sh --master spark://head:7077 --gpu --jar srwm-jobs-gpu-job.jar \\
      fewshot train --set model.kernel=nd4j --partitions 4
USAGE
}

master="${SPARK_MASTER_URL:-}"
deploy_mode="client"
driver_memory="4g"
extra=()
own_option() {
  SRWM_SHIFT=0
  case "$1" in
    --master)
      srwm_need_value "$1" "$#"; master="$2"; SRWM_SHIFT=2 ;;
    --deploy-mode)
      srwm_need_value "$1" "$#"
      [[ "$2" == client || "$2" == cluster ]] || srwm_die "--deploy-mode is client or cluster, got '$2'"
      deploy_mode="$2"; SRWM_SHIFT=2 ;;
    --total-cores)
      srwm_need_value "$1" "$#"
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || srwm_die "--total-cores wants a positive integer, got '$2'"
      extra+=(--total-executor-cores "$2"); SRWM_SHIFT=2 ;;
    --executor-cores)
      srwm_need_value "$1" "$#"
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || srwm_die "--executor-cores wants a positive integer, got '$2'"
      extra+=(--executor-cores "$2"); SRWM_SHIFT=2 ;;
    --executor-memory)
      srwm_need_value "$1" "$#"; extra+=(--executor-memory "$2"); SRWM_SHIFT=2 ;;
    --driver-memory)
      srwm_need_value "$1" "$#"; driver_memory="$2"; SRWM_SHIFT=2 ;;
  esac
}

srwm_parse "$@"
[[ -n "$master" ]] || srwm_die "--master spark://HOST:PORT is required (or set SPARK_MASTER_URL)"
[[ "$master" =~ ^spark://[^/]+:[0-9]+(,[^/]+:[0-9]+)*$ ]] \
  || srwm_die "--master must look like spark://HOST:PORT (standalone), got '$master'"
jar="$(srwm_find_jar)"
SRWM_SPARK_ARGS=(--master "$master" --deploy-mode "$deploy_mode" --driver-memory "$driver_memory"
  "${extra[@]+"${extra[@]}"}" "${SRWM_SPARK_ARGS[@]+"${SRWM_SPARK_ARGS[@]}"}")
srwm_submit "$jar"
