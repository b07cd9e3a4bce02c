#!/usr/bin/env bash
# Horn's compose stack, for real: builds the image, starts `docker compose up` with no set-up
# (no .env), runs the README's tour through it, kills the worker mid-job and checks the resume,
# probes a predictor's box inside the serving container, scales the serving tier to two, and
# tears everything down. Prints one line per step and a summary; exits non-zero on the first
# failure (the stack is left up for a look when HORN_SMOKE_KEEP=1).
#
#   scripts/compose-smoke.sh                   (HORN_SMOKE_BUILD=0 reuses an existing image)
#
# Needs Docker with compose (`docker compose` or `docker-compose`), curl and python3 on the
# host. Base images are pulled; where no registry answers they are built locally by
# scripts/docker/local-base-images.sh (debootstrap). docs/deploy.md records the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=${HORN_SMOKE_PROJECT:-hornsmoke}
PORT=${HORN_SMOKE_PORT:-18000}
IMAGE=${HORN_IMAGE:-horn:latest}
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
export COMPOSE_HTTP_TIMEOUT=${COMPOSE_HTTP_TIMEOUT:-900} HORN_PORT=$PORT HORN_IMAGE=$IMAGE
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
: >"$WORK/empty.env" # proves the zero set-up: nothing pinned
compose() { "${COMPOSE[@]}" -p "$PROJECT" --env-file "$WORK/empty.env" "$@"; }
STARTED=$(date +%s)
SUMMARY=()

step() { STEP=$1 STEP_START=$(date +%s); printf '%-58s' "$1 ..." >&2; }
ok() {
    local line="ok ($(($(date +%s) - STEP_START)) s)${1:+: $1}"
    echo "$line" >&2
    SUMMARY+=("$STEP: $line")
}
die() {
    echo "FAILED: $*" >&2
    if [ "${HORN_SMOKE_KEEP:-0}" != 1 ]; then
        compose logs --tail 60 >&2 || true
    fi
    exit 1
}
cleanup() {
    if [ "${HORN_SMOKE_KEEP:-0}" = 1 ]; then
        echo "Left up (HORN_SMOKE_KEEP=1): ${COMPOSE[*]} -p $PROJECT down -v" >&2
    else
        compose down -v --remove-orphans >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
json() { python3 -c "import json, sys; data = json.load(sys.stdin); print($1)"; }
api() { curl -sS --max-time 60 -H "Authorization: Bearer $KEY" "$@"; }

docker info >/dev/null 2>&1 || {
    echo "No Docker engine answers \`docker info\`: start dockerd first (docs/deploy.md)." >&2
    exit 2
}

step "base images (pulled, or built locally)"
missing=()
for image in python:3.11-slim-bookworm redis:7-alpine postgres:16-alpine; do
    docker image inspect "$image" >/dev/null 2>&1 || docker pull -q "$image" >/dev/null 2>&1 ||
        missing+=("$image")
done
if [ ${#missing[@]} -gt 0 ]; then
    scripts/docker/local-base-images.sh >"$WORK/base-images.log" 2>&1 ||
        die "local base images: see scripts/docker/local-base-images.sh ($(tail -3 "$WORK/base-images.log"))"
    ok "built locally: ${missing[*]}"
else
    ok "present"
fi

step "docker build (legacy builder, CPU image)"
if [ "${HORN_SMOKE_BUILD:-1}" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    built="reused (HORN_SMOKE_BUILD=0)"
else
    DOCKER_BUILDKIT=0 docker build --network host -q -t "$IMAGE" . >"$WORK/build.log" 2>&1 ||
        die "docker build: $(tail -20 "$WORK/build.log")"
    built="built"
fi
size_mb=$(($(docker image inspect -f '{{.Size}}' "$IMAGE") / 1000000))
ok "$IMAGE $built, $size_mb MB"

step "docker compose up with no .env"
compose down -v --remove-orphans >/dev/null 2>&1 || true
compose up -d >"$WORK/up.log" 2>&1 || die "compose up: $(tail -20 "$WORK/up.log")"
for _ in $(seq 1 180); do
    curl -fsS --max-time 3 "$URL/readyz" >/dev/null 2>&1 && break
    sleep 2
done
curl -fsS --max-time 3 "$URL/readyz" >/dev/null || die "the API never became ready at $URL"
KEY=$(compose logs api 2>/dev/null | grep -o "API key of tenant 'default': [A-Za-z0-9_-]*" |
    tail -1 | awk '{print $NF}')
[ -n "$KEY" ] || die "docker compose logs api shows no API key"
ok "ready; the API key is in \`docker compose logs api\`"

step "README tour: upload, train 3 epochs, events"
docker run --rm --network none --user "$(id -u)" -v "$WORK:/out" "$IMAGE" python -c "
import numpy as np
rng = np.random.default_rng(0)
centres = rng.normal(size=(10, 64)).astype('float32')
y = rng.integers(0, 10, size=1800)
np.savez('/out/digits.npz', x=centres[y] + 0.3 * rng.normal(size=(1800, 64)).astype('float32'), y=y)
y = rng.integers(0, 10, size=40000)
np.savez('/out/large.npz', x=centres[y] + 0.3 * rng.normal(size=(40000, 64)).astype('float32'), y=y)
"
cat >"$WORK/model.py" <<'PY'
import kerascore as keras

def build_model(hparams):
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(hparams.get("units", 128), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(hparams.get("lr", 1e-3)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
PY
DATASET=$(api -F "file=@$WORK/digits.npz" "$URL/v1/datasets" | json "data['id']")
MODEL=$(api -F "file=@$WORK/model.py" "$URL/v1/models" | json "data['id']")
submit() { # model dataset epochs units batch_size
    api -H "Content-Type: application/json" "$URL/v1/jobs" -d "{\"model_id\": \"$1\",
        \"dataset_id\": \"$2\", \"hyperparameters\": {\"units\": $4},
        \"training\": {\"epochs\": $3, \"batch_size\": $5}}" | json "data['id']"
}
JOB=$(submit "$MODEL" "$DATASET" 3 64 32)
curl -sS -N --max-time 600 -H "Authorization: Bearer $KEY" "$URL/v1/jobs/$JOB/events" \
    >"$WORK/events.txt" || true
grep -q '^event: done' "$WORK/events.txt" || die "the event stream never said done"
status=$(api "$URL/v1/jobs/$JOB" | json "data['status']")
[ "$status" = succeeded ] || die "job $JOB ended $status"
epochs=$(api "$URL/v1/jobs/$JOB/metrics" | json "sorted({m['epoch'] for m in data['items']})")
[ "$epochs" = "[1, 2, 3]" ] || die "metrics of epochs $epochs"
ok "job $JOB succeeded, epochs $epochs, $(grep -c '^event: metric' "$WORK/events.txt") metric events"

step "README tour: checkpoint download, predict, SavedModel export"
api -o "$WORK/latest.keras" "$URL/v1/jobs/$JOB/checkpoints/latest"
[ "$(head -c 2 "$WORK/latest.keras")" = PK ] || die "the checkpoint is not a .keras archive"
row=$(python3 -c "print([0.0] * 64)")
predictions=$(api -H "Content-Type: application/json" "$URL/v1/jobs/$JOB/predict" \
    -d "{\"instances\": [$row, $row]}" | json "[len(p) for p in data['predictions']]")
[ "$predictions" = "[10, 10]" ] || die "predict answered $predictions"
tf_serving=$(api -H "Content-Type: application/json" "$URL/v1/models/$JOB:predict" \
    -d "{\"instances\": [$row]}" | json "len(data['predictions'][0])")
[ "$tf_serving" = 10 ] || die "the TF Serving route answered $tf_serving"
api -o "$WORK/model.tar.gz" "$URL/v1/jobs/$JOB/export?format=savedmodel"
tar -tzf "$WORK/model.tar.gz" | grep -q 'saved_model.pb' || die "the export holds no SavedModel"
ok "$(wc -c <"$WORK/latest.keras") B checkpoint; 2 rows predicted; TF Serving route; export"

step "kill the worker mid-job, restart it, the job resumes"
LARGE=$(api -F "file=@$WORK/large.npz" "$URL/v1/datasets" | json "data['id']")
JOB2=$(submit "$MODEL" "$LARGE" 8 512 16)
for _ in $(seq 1 300); do
    done_epochs=$(api "$URL/v1/jobs/$JOB2/metrics" | json "len({m['epoch'] for m in data['items']})")
    [ "$done_epochs" -ge 2 ] && break
    sleep 1
done
[ "$done_epochs" -ge 2 ] || die "job $JOB2 never finished 2 epochs"
compose kill -s SIGKILL worker >/dev/null 2>&1
killed_after=$done_epochs
compose up -d worker >/dev/null 2>&1
for _ in $(seq 1 600); do
    status=$(api "$URL/v1/jobs/$JOB2" | json "data['status']")
    case $status in succeeded | failed | cancelled) break ;; esac
    sleep 1
done
[ "$status" = succeeded ] || die "job $JOB2 ended $status after the kill"
api "$URL/v1/jobs/$JOB2" >"$WORK/job2.json"
attempts=$(json "[(a['number'], a['outcome']) for a in data['attempts']]" <"$WORK/job2.json")
epochs=$(api "$URL/v1/jobs/$JOB2/metrics" | json "sorted(m['epoch'] for m in data['items'])")
[ "$epochs" = "[1, 2, 3, 4, 5, 6, 7, 8]" ] || die "epochs after the resume: $epochs"
python3 -c "import sys; a = $attempts; sys.exit(not (len(a) >= 2 and a[0][1] and a[-1][1]))" ||
    die "attempts: $attempts"
ok "killed after epoch $killed_after; attempts $attempts; epochs $epochs"

step "probe a predictor's box inside the serving container"
PROBE=$(api -F "file=@scripts/compose_probe_model.py" "$URL/v1/models" | json "data['id']")
JOB3=$(submit "$PROBE" "$DATASET" 1 16 32)
for _ in $(seq 1 300); do
    status=$(api "$URL/v1/jobs/$JOB3" | json "data['status']")
    case $status in succeeded | failed | cancelled) break ;; esac
    sleep 1
done
[ "$status" = succeeded ] || die "probe job $JOB3 ended $status"
api -H "Content-Type: application/json" "$URL/v1/jobs/$JOB3/predict" \
    -d "{\"instances\": [$row]}" >"$WORK/probe.json" || true
python3 - "$WORK/probe.json" <<'PY' || die "the probe: $(cat "$WORK/probe.json")"
import json, sys
message = json.load(open(sys.argv[1]))["error"]["message"]
facts = json.loads(message[message.index("PROBE ") + 6 :].splitlines()[0])
problems = []
if facts["uid"] in (0, 10001):
    problems.append(f"uid {facts['uid']} is root's or the API's")
if set(facts["interfaces"]) - {"lo"}:
    problems.append(f"network interfaces {facts['interfaces']}")
if "connected" in facts["connect"].values():
    problems.append(f"connections {facts['connect']}")
if facts["data_volume"] or facts["secrets_volume"]:
    problems.append("the data or secrets volume is visible")
if facts["secret_variables"]:
    problems.append(f"secret variables {facts['secret_variables']}")
print(json.dumps(facts, indent=1), file=sys.stderr)
sys.exit("; ".join(problems) or None)
PY
ok "uid not the API's, no network, no /data, no secrets (facts above)"

step "scale the serving tier to 2 replicas"
compose up -d --scale serving=2 >/dev/null 2>&1
for _ in $(seq 1 120); do
    registered=$(compose exec -T redis sh -c \
        'REDISCLI_AUTH="$(cat /run/horn-secrets/redis_password)" redis-cli -n 1 --scan --pattern "horn:serving:*"' |
        grep -c serving || true)
    [ "$registered" -ge 2 ] && break
    sleep 2
done
[ "$registered" -ge 2 ] || die "$registered serving processes registered in Redis"
for i in $(seq 1 20); do
    answer=$(api -H "Content-Type: application/json" "$URL/v1/jobs/$JOB/predict" \
        -d "{\"instances\": [$row]}" | json "len(data['predictions'])")
    [ "$answer" = 1 ] || die "prediction $i after scaling answered $answer"
done
ok "$registered registered; 20 predictions answered"

step "docker compose down, up again: everything kept"
compose down >/dev/null 2>&1
compose up -d >/dev/null 2>&1
for _ in $(seq 1 180); do
    curl -fsS --max-time 3 "$URL/readyz" >/dev/null 2>&1 && break
    sleep 2
done
status=$(api "$URL/v1/jobs/$JOB2" | json "data['status']")
[ "$status" = succeeded ] || die "after down/up job $JOB2 is $status (or the key changed)"
ok "same key, job $JOB2 still succeeded"

echo
echo "compose smoke: passed in $(($(date +%s) - STARTED)) s on $(docker version -f 'Docker {{.Server.Version}}')," \
    "$("${COMPOSE[@]}" version --short 2>/dev/null || echo compose), $(date -u +%F)"
printf '  %s\n' "${SUMMARY[@]}"
