# shellcheck shell=bash
# Shared by the deploy/submit-*.sh wrappers (sourced, not run): locating spark-submit and the job jar, merging
# the properties files, the options every wrapper takes, and running spark-submit.
#
# Environment read here:
#   SPARK_HOME      Spark installation whose bin/spark-submit is used (required)
#   SRWM_JOB_JAR    the job jar (default: the one `mvn package` built, jobs/target/srwm-jobs-*-job.jar)

SRWM_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRWM_ROOT="$(cd "$SRWM_DEPLOY_DIR/.." && pwd)"
SRWM_MAIN_CLASS="io.srwmspark.jobs.SrwmCli"

# State the common options fill in.
SRWM_GPU=0
SRWM_JAR="${SRWM_JOB_JAR:-}"
SRWM_EXTRA_PROPS=()
SRWM_SPARK_ARGS=()
SRWM_APP_ARGS=()
SRWM_SHIFT=0

# srwm_die MESSAGE [CODE]: prints "NAME: MESSAGE" on stderr and exits (default code 2: bad usage).
srwm_die() {
  echo "$(basename "$0"): $1" >&2
  exit "${2:-2}"
}

# srwm_need_value OPTION ARGC: fails unless OPTION has a value after it.
srwm_need_value() {
  (( $2 >= 2 )) || srwm_die "$1 needs a value (see --help)"
}

# srwm_common_option "$@": handles one option every wrapper takes; sets SRWM_SHIFT to the words it used
# (0 when "$1" is not a common option).
srwm_common_option() {
  SRWM_SHIFT=0
  case "$1" in
    --gpu)
      SRWM_GPU=1; SRWM_SHIFT=1 ;;
    --jar)
      srwm_need_value "$1" "$#"; SRWM_JAR="$2"; SRWM_SHIFT=2 ;;
    --conf)
      srwm_need_value "$1" "$#"
      [[ "$2" == *=* ]] || srwm_die "--conf wants KEY=VALUE, got '$2'"
      SRWM_SPARK_ARGS+=(--conf "$2"); SRWM_SHIFT=2 ;;
    --properties)
      srwm_need_value "$1" "$#"
      [[ -f "$2" ]] || srwm_die "--properties: file '$2' does not exist"
      SRWM_EXTRA_PROPS+=("$2"); SRWM_SHIFT=2 ;;
  esac
}

# The options above, for the wrappers' usage texts.
# shellcheck disable=SC2034  # read by the wrappers that source this file
SRWM_COMMON_USAGE="Common options:
  --gpu               also use conf/spark-gpu.conf (GPU per executor and per task; build the jar with -Pgpu)
  --jar FILE          the job jar (default: \$SRWM_JOB_JAR, else jobs/target/srwm-jobs-*-job.jar from mvn package)
  --conf KEY=VALUE    another Spark property (repeatable; wins over the properties files)
  --properties FILE   another properties file, merged after conf/spark-defaults.conf and conf/spark-gpu.conf
  -h, --help          this text
Everything from the first word that is not an option (or after --) is srwm's command line, e.g.
  fewshot train --config fewshot-omniglot.conf --set data.path=hdfs://nn/data/omniglot --out runs/omni --partitions 8
Environment: SPARK_HOME (required: \$SPARK_HOME/bin/spark-submit is run), SRWM_JOB_JAR."

# srwm_spark_submit: the spark-submit to run, checked.
srwm_spark_submit() {
  [[ -n "${SPARK_HOME:-}" ]] || srwm_die "SPARK_HOME is not set: point it at a Spark 3.5 installation (Scala 2.12)" 1
  local s="$SPARK_HOME/bin/spark-submit"
  [[ -x "$s" ]] || srwm_die "SPARK_HOME=$SPARK_HOME has no executable bin/spark-submit" 1
  printf '%s\n' "$s"
}

# srwm_find_jar: the job jar (--jar, $SRWM_JOB_JAR, or the single jobs/target/srwm-jobs-*-job.jar), checked.
srwm_find_jar() {
  if [[ -n "$SRWM_JAR" ]]; then
    [[ -f "$SRWM_JAR" ]] || srwm_die "job jar '$SRWM_JAR' does not exist" 1
    printf '%s\n' "$SRWM_JAR"
    return
  fi
  local found=()
  shopt -s nullglob
  found=("$SRWM_ROOT"/jobs/target/srwm-jobs-*-job.jar)
  shopt -u nullglob
  (( ${#found[@]} > 0 )) || srwm_die "no job jar in $SRWM_ROOT/jobs/target: build it with 'mvn -B package' (or give --jar FILE)" 1
  (( ${#found[@]} == 1 )) || srwm_die "several job jars in $SRWM_ROOT/jobs/target (${found[*]}): give --jar FILE" 1
  printf '%s\n' "${found[0]}"
}

# srwm_properties_file: conf/spark-defaults.conf, merged with conf/spark-gpu.conf (--gpu) and --properties files
# into a temporary file when there is more than one (removed when the wrapper exits).
srwm_properties_file() {
  local files=("$SRWM_ROOT/conf/spark-defaults.conf")
  if (( SRWM_GPU )); then
    files+=("$SRWM_ROOT/conf/spark-gpu.conf")
  fi
  files+=("${SRWM_EXTRA_PROPS[@]+"${SRWM_EXTRA_PROPS[@]}"}")
  local f
  for f in "${files[@]}"; do
    [[ -f "$f" ]] || srwm_die "properties file $f is missing" 1
  done
  if (( ${#files[@]} == 1 )); then
    printf '%s\n' "${files[0]}"
    return
  fi
  local merged
  merged="$(mktemp "${TMPDIR:-/tmp}/srwm-spark-XXXXXX.conf")"
  for f in "${files[@]}"; do
    printf '# --- from %s\n' "$f"
    cat "$f"
    printf '\n'
  done > "$merged"
  printf '%s\n' "$merged"
}

# srwm_submit JAR_ARG: runs spark-submit with the properties, SRWM_SPARK_ARGS, the main class, JAR_ARG (a path or
# a URI such as local:///opt/...) and SRWM_APP_ARGS. Prints the command on stderr first.
srwm_submit() {
  local jar="$1" submit props
  (( ${#SRWM_APP_ARGS[@]} > 0 )) || srwm_die "nothing to run: give srwm's command line, e.g. fewshot train ... (see --help)"
  submit="$(srwm_spark_submit)"
  props="$(srwm_properties_file)"
  if [[ "$props" != "$SRWM_ROOT/conf/spark-defaults.conf" ]]; then
    # shellcheck disable=SC2064
    trap "rm -f '$props'" EXIT
  fi
  local cmd=("$submit" --properties-file "$props" --class "$SRWM_MAIN_CLASS"
    "${SRWM_SPARK_ARGS[@]+"${SRWM_SPARK_ARGS[@]}"}" "$jar" "${SRWM_APP_ARGS[@]}")
  printf '%s: running' "$(basename "$0")" >&2
  printf ' %q' "${cmd[@]}" >&2
  printf '\n' >&2
  "${cmd[@]}"
}

# srwm_parse "$@" with a wrapper function `own_option` that handles the wrapper's own options the same way
# (sets SRWM_SHIFT) and `usage`: fills the state above and SRWM_APP_ARGS.
srwm_parse() {
  while (( $# > 0 )); do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --) shift; SRWM_APP_ARGS=("$@"); return ;;
      -*)
        srwm_common_option "$@"
        if (( SRWM_SHIFT == 0 )); then
          own_option "$@"
        fi
        (( SRWM_SHIFT > 0 )) || srwm_die "unknown option $1 (see --help)"
        shift "$SRWM_SHIFT" ;;
      *) SRWM_APP_ARGS=("$@"); return ;;
    esac
  done
}
