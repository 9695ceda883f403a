#!/usr/bin/env bash
# Scheduled retraining: continues a run from its last checkpoint (or starts it when the run folder has none)
# for a fixed wall-clock budget, through one of the deploy/submit-*.sh wrappers. Run by cron or by the
# srwm-retrain systemd timer (files beside this one); one run at a time (a lock file next to the run folder).
#
# Settings, from the environment (systemd: EnvironmentFile=; cron: the file given as $1 is sourced):
#   SRWM_RUN_DIR       run folder on this machine (required); holds step-<N>.ckpt checkpoints between runs
#   SRWM_CONFIG        configuration of a fresh run (default fewshot-omniglot.conf; ignored when resuming,
#                      the run keeps the configuration stored in its checkpoint)
#   SRWM_MINUTES       training budget of each run in minutes (default 60)
#   SRWM_SUBMIT        wrapper: local, standalone or yarn (default standalone; client mode, so that the run
#                      folder stays on this machine)
#   SRWM_SUBMIT_ARGS   wrapper options, split on spaces (e.g. "--master spark://head:7077 --total-cores 8 --gpu")
#   SRWM_TRAIN_ARGS    more arguments of `fewshot train`, split on spaces
#                      (e.g. "--set data.path=hdfs://nn/data/omniglot --partitions 8")
#   SPARK_HOME, SRWM_JOB_JAR, HADOOP_CONF_DIR   as the wrappers read them
set -euo pipefail

name="${0##*/}"
die() {
  echo "$name: $1" >&2
  exit "${2:-2}"
}

if (( $# > 0 )); then
  [[ "$1" != -h && "$1" != --help ]] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
  [[ -f "$1" ]] || die "settings file '$1' does not exist"
  # shellcheck disable=SC1090
  source "$1"
fi

deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run_dir="${SRWM_RUN_DIR:-}"
[[ -n "$run_dir" ]] || die "SRWM_RUN_DIR is not set: the run folder to train and resume"
minutes="${SRWM_MINUTES:-60}"
[[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "SRWM_MINUTES must be a number of minutes, got '$minutes'"
submit="${SRWM_SUBMIT:-standalone}"
case "$submit" in
  local|standalone|yarn) ;;
  *) die "SRWM_SUBMIT must be local, standalone or yarn (client mode keeps the run folder here), got '$submit'" ;;
esac

# shellcheck disable=SC2206
submit_args=(${SRWM_SUBMIT_ARGS:-})
# shellcheck disable=SC2206
train_args=(${SRWM_TRAIN_ARGS:-})

mkdir -p "$(dirname "$run_dir")"
if compgen -G "$run_dir/step-*.ckpt" > /dev/null; then
  echo "$name: $(date -u +%FT%TZ) resuming $run_dir from its newest step checkpoint for $minutes min" >&2
  train=(fewshot train --out "$run_dir" --resume --minutes "$minutes")
else
  echo "$name: $(date -u +%FT%TZ) starting $run_dir (${SRWM_CONFIG:-fewshot-omniglot.conf}) for $minutes min" >&2
  train=(fewshot train --config "${SRWM_CONFIG:-fewshot-omniglot.conf}" --out "$run_dir" --minutes "$minutes")
fi

# one run at a time: a run still going when the next is due makes the next one skip
exec 9>"$run_dir.lock"
if ! flock -n 9; then
  echo "$name: $run_dir is still being trained by an earlier run (lock $run_dir.lock); skipping" >&2
  exit 0
fi
"$deploy/submit-$submit.sh" "${submit_args[@]+"${submit_args[@]}"}" -- "${train[@]}" \
  "${train_args[@]+"${train_args[@]}"}"
