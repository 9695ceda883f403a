#!/usr/bin/env bash
# Submits an srwm-spark job to Kubernetes (cluster mode: the driver runs in a pod of the container image).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

IN_IMAGE_JAR_DEFAULT="local:///opt/srwm-spark/srwm-jobs-job.jar"

usage() {
  cat <<USAGE
Usage: deploy/submit-k8s.sh --master k8s://https://HOST:PORT --image IMAGE [options] [common options] [--] SRWM_COMMAND...

Submits srwm's command line to Kubernetes with \$SPARK_HOME/bin/spark-submit in cluster mode, with
conf/spark-defaults.conf (and conf/spark-gpu.conf with --gpu). The container image must hold Spark 3.5
(Scala 2.12, Java 17) and the job jar (docs/distributed.md shows a Dockerfile).

Options:
  --master URL            the API server, k8s://https://HOST:PORT (default: \$SPARK_K8S_MASTER)
  --image IMAGE           container image for driver and executors (required)
  --namespace NS          namespace (default: default)
  --service-account SA    service account of the driver pod, allowed to create executor pods (default: spark)
  --executors N           executor pods (default 2)
  --executor-cores N      cores per executor
  --executor-memory MEM   heap per executor (e.g. 4g)
  --driver-memory MEM     heap of the driver (default 4g)
  --jar-in-image URI      the job jar inside the image (default: $IN_IMAGE_JAR_DEFAULT)
  --pull-policy POLICY    Always, IfNotPresent (default) or Never
$SRWM_COMMON_USAGE
  (--jar is not used here: the jar comes from the image, see --jar-in-image.)

The run folder (--out) lives in the driver pod: give data.path as an hdfs:// or s3a:// URI, and keep runs
you want to resume on a mounted volume (spark.kubernetes.driver.volumes.*, via --conf).
With --gpu the executors request nvidia.com/gpu (the NVIDIA device plugin must run on the GPU nodes) and run
/opt/srwm-spark/deploy/gpu/discover-gpus.sh from the image.

Example:
  deploy/submit-k8s.sh --master k8s://https://10.0.0.1:6443 --image registry.example/srwm-spark:0.1.0 \\
      --namespace ml --service-account spark --executors 4 --executor-memory 6g \\
      fewshot train --config fewshot-omniglot.conf --set data.path=hdfs://nn/data/omniglot --out /runs/omniglot --partitions 4
USAGE
}

master="${SPARK_K8S_MASTER:-}"
image=""
namespace="default"
service_account="spark"
executors="2"
driver_memory="4g"
pull_policy="IfNotPresent"
jar_in_image="$IN_IMAGE_JAR_DEFAULT"
extra=()
own_option() {
  SRWM_SHIFT=0
  case "$1" in
    --master) srwm_need_value "$1" "$#"; master="$2"; SRWM_SHIFT=2 ;;
    --image) srwm_need_value "$1" "$#"; image="$2"; SRWM_SHIFT=2 ;;
    --namespace) srwm_need_value "$1" "$#"; namespace="$2"; SRWM_SHIFT=2 ;;
    --service-account) srwm_need_value "$1" "$#"; service_account="$2"; SRWM_SHIFT=2 ;;
    --executors|--executor-cores)
      srwm_need_value "$1" "$#"
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || srwm_die "$1 wants a positive integer, got '$2'"
      if [[ "$1" == --executors ]]; then executors="$2"; else extra+=(--executor-cores "$2"); fi
      SRWM_SHIFT=2 ;;
    --executor-memory) srwm_need_value "$1" "$#"; extra+=(--executor-memory "$2"); SRWM_SHIFT=2 ;;
    --driver-memory) srwm_need_value "$1" "$#"; driver_memory="$2"; SRWM_SHIFT=2 ;;
    --jar-in-image) srwm_need_value "$1" "$#"; jar_in_image="$2"; SRWM_SHIFT=2 ;;
    --pull-policy)
      srwm_need_value "$1" "$#"
      [[ "$2" =~ ^(Always|IfNotPresent|Never)$ ]] || srwm_die "--pull-policy is Always, IfNotPresent or Never, got '$2'"
      pull_policy="$2"; SRWM_SHIFT=2 ;;
  esac
}

srwm_parse "$@"
[[ -n "$master" ]] || srwm_die "--master k8s://https://HOST:PORT is required (or set SPARK_K8S_MASTER)"
[[ "$master" == k8s://* ]] || srwm_die "--master must start with k8s:// (e.g. k8s://https://HOST:6443), got '$master'"
[[ -n "$image" ]] || srwm_die "--image IMAGE is required: the container image with Spark and the job jar"
[[ -z "$SRWM_JAR" ]] || srwm_die "--jar/SRWM_JOB_JAR is not used on Kubernetes: the jar is in the image (--jar-in-image)"
[[ "$jar_in_image" == *://* ]] || srwm_die "--jar-in-image wants a URI such as local:///opt/..., got '$jar_in_image'"
SRWM_SPARK_ARGS=(--master "$master" --deploy-mode cluster --driver-memory "$driver_memory"
  --conf "spark.kubernetes.container.image=$image"
  --conf "spark.kubernetes.container.image.pullPolicy=$pull_policy"
  --conf "spark.kubernetes.namespace=$namespace"
  --conf "spark.kubernetes.authenticate.driver.serviceAccountName=$service_account"
  --conf "spark.executor.instances=$executors"
  "${extra[@]+"${extra[@]}"}" "${SRWM_SPARK_ARGS[@]+"${SRWM_SPARK_ARGS[@]}"}")
srwm_submit "$jar_in_image"
