#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ for real (docs/testing.md, "Fuzzing").
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/fuzz.sh [--merge] [--no-build] [--jobs N] [--list] [SECONDS] [TARGET...]

Builds the fuzz targets with clang, libFuzzer, ASan and UBSan in build-fuzz/ (installing
clang, libclang-rt-14-dev and llvm with apt-get when missing), then runs each TARGET (default:
all of tests/fuzz/*_fuzz.cpp) for SECONDS (default 600), one process each, N at a time
(default 1).

Each target starts from its checked-in seeds (tests/fuzz/corpus/TARGET/, read only) and
grows its own corpus in build-fuzz/fuzz-work/TARGET/corpus/, kept between runs. Crash, leak,
timeout and out-of-memory inputs land in build-fuzz/fuzz-work/TARGET/artifacts/.

Per target it prints executions, executions per second, coverage (edges and features),
corpus size and any finding; the table also goes to build-fuzz/fuzz-work/summary.txt and
each full log to build-fuzz/fuzz-work/TARGET/fuzz.log.

  --merge     afterwards, merge what the run found into the checked-in seeds
              (libFuzzer -merge=1: only inputs that add coverage are copied)
  --no-build  run the binaries already in build-fuzz/fuzz/ (no install, no build)
  --jobs N    run N targets at once (each still gets SECONDS of wall-clock time; with N
              above the number of cores each gets a share of a core)
  --list      print the target names and exit
  --help      this text

Exit status: 0 when no target found anything, 1 on a finding, 2 on a usage or build error.
Reproduce a finding with: build-fuzz/fuzz/TARGET_fuzz ARTIFACT
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-fuzz"
work="$build/fuzz-work"

all_targets() {
  for f in "$root"/tests/fuzz/*_fuzz.cpp; do
    f=${f##*/}
    echo "${f%_fuzz.cpp}"
  done
}

merge=0
build_first=1
seconds=600
jobs=1
targets=()
expect_jobs=0
for arg in "$@"; do
  if ((expect_jobs)); then
    [[ $arg =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --jobs takes a positive number, not $arg" >&2; exit 2; }
    jobs=$arg
    expect_jobs=0
    continue
  fi
  case "$arg" in
    --jobs) expect_jobs=1 ;;
    --help|-h) usage; exit 0 ;;
    --list) all_targets; exit 0 ;;
    --merge) merge=1 ;;
    --no-build) build_first=0 ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *)
      if [[ $arg =~ ^[1-9][0-9]*$ ]] && ((${#targets[@]} == 0)); then
        seconds=$arg
      elif [[ -f "$root/tests/fuzz/${arg}_fuzz.cpp" ]]; then
        targets+=("$arg")
      else
        echo "fuzz.sh: no target $arg (tools/fuzz.sh --list)" >&2
        exit 2
      fi
      ;;
  esac
done
if ((expect_jobs)); then
  echo "fuzz.sh: --jobs needs a number" >&2
  exit 2
fi
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(all_targets)
fi

if ((build_first)); then
  # The build's own packages (tools/setup.sh's list) plus the fuzzing toolchain; llvm
  # provides llvm-symbolizer for readable stacks.
  TILLIT_EXTRA_PACKAGES="clang libclang-rt-14-dev llvm" TILLIT_SETUP_INSTALL_ONLY=1 \
    "$root/tools/setup.sh" || exit 2

  # -O1 with line tables: fast enough to fuzz, quick to build, readable stacks. Debug keeps
  # assertions on.
  if [[ ! -f "$build/build.ninja" ]]; then
    launcher=()
    command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" -DTILLIT_FUZZ=ON -DTILLIT_SANITIZE=ON \
      "${launcher[@]}" >/dev/null
  fi
  build_targets=()
  for t in "${targets[@]}"; do build_targets+=("${t}_fuzz"); done
  if ! out=$(cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${build_targets[@]}" 2>&1); then
    echo "$out" >&2
    echo "fuzz.sh: build failed" >&2
    exit 2
  fi
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$work"
summary="$work/summary.txt"
printf '%-14s %8s %12s %9s %7s %7s %8s  %s\n' target seconds executions exec/s cov ft corpus finding |
  tee "$summary"
# One target: fuzz, then print its summary line (also kept in TARGET/summary.line, so that
# parallel runs can be put together in target order). Exit status 1 on a finding.
run_one() {
  local t=$1
  local dir="$work/$t"
  local status=0
  local flags before after rc execs rate last cov ft corpus finding
  mkdir -p "$dir/corpus" "$dir/artifacts"
  flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048
         -artifact_prefix="$dir/artifacts/")
  [[ -f "$root/tests/fuzz/dict/$t.dict" ]] && flags+=(-dict="$root/tests/fuzz/dict/$t.dict")
  before=$(ls "$dir/artifacts" | wc -l)
  rc=0
  "$build/fuzz/${t}_fuzz" "${flags[@]}" "$dir/corpus" "$root/tests/fuzz/corpus/$t" \
    >"$dir/fuzz.log" 2>&1 || rc=$?
  # A run that crashed has no final stats: every grep here may find nothing.
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | awk '{print $2}' | tail -1 || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$dir/fuzz.log" | awk '{print $2}' | tail -1 || true)
  last=$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  finding=none
  after=$(ls "$dir/artifacts" | wc -l)
  if ((rc != 0 || after > before)); then
    finding=$(ls -t "$dir/artifacts" | head -1)
    finding="${finding:-exit $rc} (see $dir/fuzz.log)"
    status=1
  fi
  printf '%-14s %8s %12s %9s %7s %7s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$finding" | tee "$dir/summary.line"
  if ((merge)); then
    "$build/fuzz/${t}_fuzz" -merge=1 "$root/tests/fuzz/corpus/$t" "$dir/corpus" \
      >"$dir/merge.log" 2>&1 || { echo "fuzz.sh: merge of $t failed ($dir/merge.log)" >&2; status=1; }
  fi
  return $status
}

status=0
running=0
for t in "${targets[@]}"; do
  rm -f "$work/$t/summary.line"
  if ((jobs == 1)); then
    run_one "$t" || status=1
    continue
  fi
  run_one "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while ((running > 0)); do
  wait -n || status=1
  running=$((running - 1))
done
for t in "${targets[@]}"; do
  cat "$work/$t/summary.line" >>"$summary" 2>/dev/null || true
done
exit $status
