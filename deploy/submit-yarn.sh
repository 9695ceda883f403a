#!/usr/bin/env bash
# Submits an srwm-spark job to Hadoop YARN.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<USAGE
Usage: deploy/submit-yarn.sh [options] [common options] [--] SRWM_COMMAND...

Submits srwm's command line to YARN with \$SPARK_HOME/bin/spark-submit --master yarn, with
conf/spark-defaults.conf (and conf/spark-gpu.conf with --gpu). Needs HADOOP_CONF_DIR or YARN_CONF_DIR.

Options:
  --deploy-mode MODE      client (default: the driver runs here and writes the run folder here) or cluster
                          (the driver runs in the ApplicationMaster's container: --out is then a folder of that
                          container, lost when it ends; give data.path as an hdfs:// URI either way)
  --queue NAME            YARN queue
  --num-executors N       executors (default: Spark's, or dynamic allocation where the cluster enables it)
  --executor-cores N      cores per executor
  --executor-memory MEM   heap per executor (e.g. 4g)
  --driver-memory MEM     heap of the driver (default 4g)
$SRWM_COMMON_USAGE

With --gpu the executors ask YARN for yarn.io/gpu (YARN 3.1+ with GPU scheduling enabled), and
deploy/gpu/discover-gpus.sh is shipped with the job (--files) and used as the discovery script.

Example:
  deploy/submit-yarn.sh --queue ml --num-executors 4 --executor-cores 2 --executor-memory 6g \\
      fewshot train --config fewshot-omniglot.conf --set data.path=hdfs://nn/data/omniglot --out runs/omniglot --partitions 8
USAGE
}

deploy_mode="client"
driver_memory="4g"
extra=()
own_option() {
  SRWM_SHIFT=0
  case "$1" in
    --deploy-mode)
      srwm_need_value "$1" "$#"
      [[ "$2" == client || "$2" == cluster ]] || srwm_die "--deploy-mode is client or cluster, got '$2'"
      deploy_mode="$2"; SRWM_SHIFT=2 ;;
    --queue)
      srwm_need_value "$1" "$#"; extra+=(--queue "$2"); SRWM_SHIFT=2 ;;
    --num-executors|--executor-cores)
      srwm_need_value "$1" "$#"
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || srwm_die "$1 wants a positive integer, got '$2'"
      extra+=("$1" "$2"); SRWM_SHIFT=2 ;;
    --executor-memory)
      srwm_need_value "$1" "$#"; extra+=(--executor-memory "$2"); SRWM_SHIFT=2 ;;
    --driver-memory)
      srwm_need_value "$1" "$#"; driver_memory="$2"; SRWM_SHIFT=2 ;;
  esac
}

srwm_parse "$@"
[[ -n "${HADOOP_CONF_DIR:-}${YARN_CONF_DIR:-}" ]] \
  || srwm_die "set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the folder with the cluster's yarn-site.xml" 1
for d in "${HADOOP_CONF_DIR:-}" "${YARN_CONF_DIR:-}"; do
  [[ -z "$d" || -d "$d" ]] || srwm_die "configuration folder $d (HADOOP_CONF_DIR/YARN_CONF_DIR) does not exist" 1
done
jar="$(srwm_find_jar)"
if (( SRWM_GPU )); then
  # executors run the script from their container's working folder, where --files puts it
  extra+=(--files "$SRWM_DEPLOY_DIR/gpu/discover-gpus.sh"
    --conf spark.executor.resource.gpu.discoveryScript=./discover-gpus.sh)
fi
SRWM_SPARK_ARGS=(--master yarn --deploy-mode "$deploy_mode" --driver-memory "$driver_memory"
  "${extra[@]+"${extra[@]}"}" "${SRWM_SPARK_ARGS[@]+"${SRWM_SPARK_ARGS[@]}"}")
srwm_submit "$jar"
