# Sourced by every demo script: the demo's paths, and how production is switched.
#
# demo.env is written beside the scripts when the demo starts; it sets STATE (the
# folder of the files the service watches), BASE_URL, PY (the Python that runs warroom),
# PACE (seconds per step) and REPO (the demo's git repository).
. "$(dirname -- "${BASH_SOURCE[0]}")/demo.env"

set_state() {  # set_state MODE VERSION: replace the files the service watches
  printf '%s\n' "$2" > "$STATE/version.tmp" && mv -f "$STATE/version.tmp" "$STATE/version"
  printf '%s\n' "$1" > "$STATE/mode.tmp" && mv -f "$STATE/mode.tmp" "$STATE/mode"
}
