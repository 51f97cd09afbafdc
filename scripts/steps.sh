# Named, timed steps with progress a person can follow. Source it after env.sh; do not run it.
# shellcheck shell=bash
#
#   step NAME COMMAND...         run COMMAND as the step NAME, its output kept in a log file
#   step_visible NAME COMMAND... the same with the output on the terminal (test runs)
#   step_table                   the times of every step of this run (printed at the end)
#   on_exit COMMAND              run COMMAND when the script exits
#
# Each step prints its name with the time elapsed since the run began. A step still running
# after PROGRESS_EVERY seconds says so, with what cargo (or pip, or apt) is doing now. A step
# that fails names itself, shows the last lines of its output and the log file's path.
# The first script of a run (make up, make test, ...) starts the clock; scripts it calls share it.

PROGRESS_EVERY="${MOVIE_LATTICE_PROGRESS_EVERY:-30}"
STEP_LOG_DIR="$LOG_DIR/steps"
mkdir -p "$STEP_LOG_DIR"
if [[ -z "${MOVIE_LATTICE_RUN_START:-}" ]]; then
  MOVIE_LATTICE_RUN_START="$(date +%s)"
  STEP_TIMES="$STEP_LOG_DIR/times-$(date +%Y%m%d-%H%M%S)-$$.tsv"
  export MOVIE_LATTICE_RUN_START STEP_TIMES
  : >"$STEP_TIMES"
  STEP_CLOCK_OWNER=$$
fi

# on_exit COMMAND: run COMMAND when this script exits (hooks run in the order they were added).
# The script that started the clock prints the table of step times last.
STEP_EXIT_HOOKS=()
on_exit() { STEP_EXIT_HOOKS+=("$1"); }
step_run_exit_hooks() {
  local rc=$? hook
  for hook in "${STEP_EXIT_HOOKS[@]}"; do eval "$hook" || true; done
  if [[ "${STEP_CLOCK_OWNER:-}" == "$$" ]]; then step_table; fi
  return "$rc"
}
trap step_run_exit_hooks EXIT

# clock SECONDS: as m:ss (or h:mm:ss).
clock() {
  local s="$1"
  if ((s >= 3600)); then
    printf '%d:%02d:%02d' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
  else
    printf '%d:%02d' $((s / 60)) $((s % 60))
  fi
}
run_elapsed() { clock $(($(date +%s) - MOVIE_LATTICE_RUN_START)); }

# step_slug NAME: a file name for the step's log.
step_slug() { tr -cs 'a-zA-Z0-9' '-' <<<"$1" | sed 's/^-//; s/-$//' | tr 'A-Z' 'a-z'; }

# step_progress LOG: one line on what the step is doing, read from its output so far.
step_progress() {
  local log="$1" compiled current
  compiled="$(grep -cE '^ +Compiling ' "$log" 2>/dev/null || true)"
  if ((compiled > 0)); then
    current="$(grep -E '^ +(Compiling|Linking|Building|Installing|Finished)' "$log" | tail -n1 |
      sed -E 's/^ +//')"
    printf '%s crates compiled; last: %s' "$compiled" "$current"
  else
    tail -n1 "$log" 2>/dev/null | cut -c1-120 | sed 's/^ *//'
  fi
}

# step_begin NAME: announce a step with the run's elapsed time.
step_begin() { printf '\033[1;34m==>\033[0m [%s] %s\n' "$(run_elapsed)" "$1" >&2; }
# step_end NAME BEGAN RC [LOG]: record the step's time, outcome and log file for the table.
step_end() {
  printf '%s\t%s\t%s\t%s\n' "$1" "$(($(date +%s) - $2))" "$( (($3 == 0)) && echo ok || echo failed)" \
    "${4:-}" >>"$STEP_TIMES"
}

# step NAME COMMAND...: run COMMAND as one named step.
step() {
  local name="$1"; shift
  local log="$STEP_LOG_DIR/$(step_slug "$name").log"
  local began; began="$(date +%s)"
  step_begin "$name"
  "$@" >"$log" 2>&1 </dev/null &
  local pid=$! waited=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if ((waited % PROGRESS_EVERY == 0)) && kill -0 "$pid" 2>/dev/null; then
      printf '    [%s] %s, %s in: %s\n' "$(run_elapsed)" "$name" \
        "$(clock $(($(date +%s) - began)))" "$(step_progress "$log")" >&2
    fi
  done
  local rc=0
  wait "$pid" || rc=$?
  step_end "$name" "$began" "$rc" "$log"
  ((rc != 0)) || return 0
  {
    printf '\033[1;31merror:\033[0m step "%s" failed after %s (exit %s). Last lines of its output:\n' \
      "$name" "$(clock $(($(date +%s) - began)))" "$rc"
    tail -n 30 "$log" | sed 's/^/    /'
    printf 'The whole output is in %s\n' "$log"
  } >&2
  return "$rc"
}

# step_visible NAME COMMAND...: a step whose output goes straight to the terminal (test runs).
step_visible() {
  local name="$1"; shift
  local began rc=0; began="$(date +%s)"
  step_begin "$name"
  "$@" || rc=$?
  step_end "$name" "$began" "$rc"
  ((rc == 0)) || printf '\033[1;31merror:\033[0m step "%s" failed (exit %s)\n' "$name" "$rc" >&2
  return "$rc"
}

# step_table: the steps of this run and their times, in the order they ended.
step_table() {
  [[ -s "${STEP_TIMES:-}" && -z "${STEP_TABLE_PRINTED:-}" ]] || return 0
  STEP_TABLE_PRINTED=1
  local total=$(($(date +%s) - MOVIE_LATTICE_RUN_START)) name took outcome log
  {
    echo
    echo "  step times (2 lanes may overlap; total is wall-clock)"
    while IFS=$'\t' read -r name took outcome log; do
      printf '    %-56s %8s  %s\n' "$name" "$(clock "$took")" "${outcome/#ok/}"
    done <"$STEP_TIMES"
    printf '    %-56s %8s\n' "total" "$(clock "$total")"
    echo
    # A failed step's last lines again, at the end where they are seen (a long run's output
    # is often read from its tail only).
    while IFS=$'\t' read -r name took outcome log; do
      [[ "$outcome" == failed && -s "$log" ]] || continue
      printf '  step "%s" failed; the last lines of %s:\n' "$name" "$log"
      tail -n 15 "$log" | cut -c1-200 | sed 's/^/    /'
      echo
    done <"$STEP_TIMES"
  } >&2
}
