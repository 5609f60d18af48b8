#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (the domain crate's parsers and validators), each for a
# bounded time, seeded from fuzz/seeds/<target>. Exits non-zero when any target finds a crash,
# a hang or an out-of-memory input, and prints the artifact to reproduce it with.
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]     (default: 60 s each, every target)
#
# Reproduce a finding:  cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET artifacts/TARGET/crash-…
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer, -Cpasses=sancov-module, …) to rustc;
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them (harmless on nightly).
# The targets build with AddressSanitizer (cargo-fuzz's default): its runtime ships with the
# stable standard library for x86_64-unknown-linux-gnu and it builds and runs here, so it is kept
# to catch memory errors in the dependencies' unsafe code. FUZZ_SANITIZER=none switches it off
# (faster, for a platform without the ASan runtime).
set -euo pipefail

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds)
      [ $# -ge 2 ] || { echo "fuzz: --seconds needs a value" >&2; exit 2; }
      seconds="$2"
      shift 2
      ;;
    --seconds=*)
      seconds="${1#--seconds=}"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*)
      echo "fuzz: unknown option $1" >&2
      usage >&2
      exit 2
      ;;
    *)
      targets+=("$1")
      shift
      ;;
  esac
done
case "$seconds" in
  '' | *[!0-9]* | 0) echo "fuzz: --seconds needs a positive whole number, got '$seconds'" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

export RUSTC_BOOTSTRAP=1
sanitizer="${FUZZ_SANITIZER:-address}"
cargo_fuzz_version="0.13.2"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== cargo install cargo-fuzz $cargo_fuzz_version =="
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
fi

mapfile -t all_targets < <(cargo fuzz list)
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
  if ! printf '%s\n' "${all_targets[@]}" | grep -qx -- "$t"; then
    echo "fuzz: unknown target '$t' (known: ${all_targets[*]})" >&2
    exit 2
  fi
done

echo "== cargo fuzz build --sanitizer $sanitizer =="
build_start=$SECONDS
cargo fuzz build --sanitizer "$sanitizer"
echo "fuzz: built in $((SECONDS - build_start)) s"

logs="$root/fuzz/target/fuzz-logs"
mkdir -p "$logs"
crashes=0
for t in "${targets[@]}"; do
  corpus="$root/fuzz/corpus/$t"
  seeds="$root/fuzz/seeds/$t"
  artifacts="$root/fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  seed_dirs=()
  [ -d "$seeds" ] && seed_dirs+=("$seeds")
  # Field names and vocabulary codes/labels of the domain crate, for the JSON and query targets.
  dict=()
  [ -f "$root/fuzz/dicts/$t.dict" ] && dict+=("-dict=$root/fuzz/dicts/$t.dict")
  before="$(ls -1 "$artifacts" 2>/dev/null | sort)"
  log="$logs/$t.log"
  echo "== fuzz $t for $seconds s =="
  # New inputs go to the first directory (the working corpus, not committed); the seeds are read only.
  # -timeout: one input running 10 s counts as a hang; -rss_limit_mb: more than 2 GiB as a leak.
  status=0
  cargo fuzz run --sanitizer "$sanitizer" "$t" "$corpus" "${seed_dirs[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" >"$log" 2>&1 ||
    status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $t ok (${execs:-?} runs, corpus $(ls -1 "$corpus" | wc -l) inputs)"
  else
    crashes=$((crashes + 1))
    tail -40 "$log" >&2
    new="$(comm -13 <(printf '%s\n' "$before") <(ls -1 "$artifacts" | sort) | sed '/^$/d')"
    if [ -n "$new" ]; then
      while read -r a; do
        echo "fuzz: $t FAILED, artifact: $artifacts/$a" >&2
      done <<<"$new"
    else
      echo "fuzz: $t FAILED (exit $status) without an artifact, see $log" >&2
    fi
  fi
done

echo "fuzz: targets=${#targets[@]} seconds_each=$seconds crashes=$crashes"
[ "$crashes" -eq 0 ]
