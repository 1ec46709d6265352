# Shared by the tools' shell tests (sourced, not run). The caller sets `tmp` (a work
# directory it removes on exit) before calling expect_exit.

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE CMD...: runs CMD with no input, stdout and stderr to $tmp/out and
# $tmp/err, and fails the test unless it exits with CODE.
expect_exit() {
  local want=$1; shift
  local got=0
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || got=$?
  [[ $got == "$want" ]] || fail "'$*' exited $got, want $want; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
}
