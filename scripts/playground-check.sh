#!/usr/bin/env bash
# Re-run the real-client check of docs/playground.md: segmentbot on a temporary
# SQLite database, driven through Microsoft 365 Agents Playground 0.2.28.
#
#   scripts/playground-check.sh [OUT_DIR]
#
# Needs Go, Node 20 and the Playground installed with npm (not global):
#   mkdir -p /tmp/playground && cd /tmp/playground && npm init -y && npm i @microsoft/m365agentsplayground@0.2.28
# and, for screenshots (SHOTS=1), playwright-core there plus a Chromium (CHROMIUM, default /usr/bin/chromium).
# PLAYGROUND_DIR (default /tmp/playground), BOT_PORT (3978), TAP_PORT (3979), PG_PORT (56150).
#
# OUT_DIR gets: admin.jsonl and enduser.jsonl (every bot message and invoke
# response, one JSON line each, from scripts/playground/drive.mjs),
# activities.jsonl (every activity the Playground POSTed to the bot, from
# scripts/playground/tap.mjs), the service's and the Playground's logs, and
# with SHOTS=1 a few PNGs of the Playground's web UI.
# Nothing here is part of `go test ./...`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE="$ROOT/scripts/playground"
OUT=${1:-$(mktemp -d /tmp/playground-check.XXXXXX)}
export PLAYGROUND_DIR=${PLAYGROUND_DIR:-/tmp/playground}
BOT_PORT=${BOT_PORT:-3978}
TAP_PORT=${TAP_PORT:-3979}
PG_PORT=${PG_PORT:-56150}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# The Playground's built-in tenant: you are Alex Wilber, user-id-0.
ALEX_AAD=00000000-0000-0000-0000-0000000000020
MEGAN_AAD=00000000-0000-0000-0000-0000000000021

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

go build -o "$OUT/segmentbot" "$ROOT/cmd/segmentbot"

# serve ADMINS LOG: the service on loopback (no MicrosoftAppId: Teams auth
# off, loopback only), with ADMINS as SEGMENTBOT_ADMINS.
serve() {
  PORT=$BOT_PORT DATABASE_URL="sqlite:$OUT/segmentbot.db" SEGMENTBOT_ADMINS="$1" \
    SEGMENTBOT_SIGNING_KEY=playground-check-signing-key-0123456789 \
    "$OUT/segmentbot" serve > "$OUT/$2" 2>&1 &
  bot_pid=$!
  pids+=("$bot_pid")
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$BOT_PORT/healthz" > /dev/null && return 0
    sleep 0.1
  done
  echo "segmentbot did not start; see $OUT/$2" >&2
  exit 1
}

serve "$ALEX_AAD" serve-admin.log
node "$HERE/tap.mjs" "$TAP_PORT" "http://127.0.0.1:$BOT_PORT" "$OUT/activities.jsonl" &
pids+=("$!")
URL=$("$HERE/start.sh" "http://127.0.0.1:$TAP_PORT/api/messages" "$PG_PORT" "$OUT/playground")
pids+=("$(cat "$OUT/playground/playground.pid")")
drive() { node --experimental-websocket "$HERE/drive.mjs" --url "$URL" "$@"; }

# Alex as an admin: help, a segment, its card, a broadcast written in chat,
# previewed and sent now, its Opt out, typed unsubscribe and Resubscribe,
# the sticky opt-out against an admin's add, history.
drive install say:help "say:create segment News" "say:set segment News open" "say:card News" "click:Opt in" \
  "say:broadcast News
Town hall on **Friday**
Join us at 10:00 in the _big room_. [Agenda](https://example.com/agenda)" \
  "click:Send now" wait:3000 "click:Send now" "click:Opt out" "click:Opt in" \
  say:unsubscribe click:Resubscribe "say:please unsubscribe me" \
  "say:add to News
alexw@example.com" "click:Opt in" click:Resubscribe "say:broadcast News" \
  "say:history alexw@example.com" say:broadcasts > "$OUT/admin.jsonl"

# Alex as an end user (another admin listed): the end-user help card, open
# segments (Action.Execute cards), my segments, STOP and Resubscribe.
kill "$bot_pid"; wait "$bot_pid" 2>/dev/null || true
serve "$MEGAN_AAD" serve-enduser.log
drive say:hi "say:what is this" say:segments "click:Opt out" "click:Opt in" "say:my segments" \
  "say:STOP!!" click:Resubscribe "say:unsubscribe News" > "$OUT/enduser.jsonl"

if [ "${SHOTS:-0}" = 1 ]; then
  node "$HERE/shot.mjs" --url "$URL" --chat --height 800 --out "$OUT/enduser-help.png" say:help
  kill "$bot_pid"; wait "$bot_pid" 2>/dev/null || true
  serve "$ALEX_AAD" serve-shots.log
  node "$HERE/shot.mjs" --url "$URL" --chat --height 900 --out "$OUT/admin-help.png" say:help
  node "$HERE/shot.mjs" --url "$URL" --chat --height 1500 --out "$OUT/broadcast.png" "say:card News" "click:Opt in" \
    "post:broadcast News
Town hall on **Friday**
Join us at 10:00 in the _big room_. [Agenda](https://example.com/agenda)" "click:Send now" wait:3000 "click:Opt out"
  node "$HERE/shot.mjs" --url "$URL" --chat --height 900 --out "$OUT/unsubscribe.png" "say:card News" "click:Opt in" \
    say:unsubscribe click:Resubscribe
fi
cp "$OUT/playground/devTools/m365agentsplayground.log" "$OUT/" 2>/dev/null || true
grep -h '"event":"error"' "$OUT"/*.jsonl && { echo "some steps failed; see $OUT" >&2; exit 1; }
echo "$OUT"
