#!/usr/bin/env bash
# prlstm sweep against a real Slurm on this machine (run by .ci/run after the build): installs Debian's slurm-wlm
# and munge if missing, starts munged, slurmctld and slurmd with a one-node configuration in a temporary folder,
# and stops them at the end, also on failure. Then:
#   1. a sweep of 2 tasks x 2 models x 2 seeds of tiny runs is submitted (sweep --submit), waited for and collected;
#      its table equals the one that sweep --local gives for the same grid;
#   2. one array task is sent SIGTERM mid-run (scancel --signal=TERM --batch): it saves its checkpoint, requeues
#      itself (scontrol requeue), resumes, and ends with the same result as an uninterrupted run.
# Prints "slurm test: passed" or "slurm test: FAILED: <reason>" and exits 0 or 1; it is never skipped silently.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dll="$root/examples/FormalLanguages/bin/Release/net10.0/prlstm.dll"
prlstm() { dotnet "$dll" "$@"; }
work=$(mktemp -d /tmp/prlstm-slurm.XXXXXX)
started_munged=0

fail() {
  echo "slurm test: FAILED: $*"
  for log in "$work"/slurmctld.log "$work"/slurmd.log; do [ -f "$log" ] && { echo "--- tail of $log"; tail -n 15 "$log"; }; done
  exit 1
}
cleanup() {
  for daemon in slurmd slurmctld; do
    [ -f "$work/$daemon.pid" ] && kill "$(cat "$work/$daemon.pid")" 2>/dev/null
  done
  [ "$started_munged" = 1 ] && pkill -x munged 2>/dev/null
  sleep 1
}
trap cleanup EXIT

[ -f "$dll" ] || fail "build the solution first ($dll is missing)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm test: installing slurm-wlm and munge"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) >"$work/apt.log" 2>&1 \
    || fail "apt-get install slurm-wlm munge failed (see $work/apt.log)"
fi

# munge: /run/munge must exist before munged starts.
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null
  [ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  munged --force >"$work/munged.log" 2>&1 || fail "munged did not start: $(cat "$work/munged.log")"
  started_munged=1
fi

mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<CONF
ClusterName=prlstm-test
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$(( $(free -m | awk '/^Mem:/ {print $2}') - 1024 )) State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -c >"$work/slurmctld.out" 2>&1 || fail "slurmctld did not start: $(cat "$work/slurmctld.out")"
slurmd -N localhost >"$work/slurmd.out" 2>&1 || fail "slurmd did not start: $(cat "$work/slurmd.out")"
for _ in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %t | grep -q idle || fail "the node did not become idle: $(sinfo 2>&1)"
echo "slurm test: slurm is up ($(sinfo -h -o '%P %D %t'))"

# Waits for a job (all its array tasks) to leave the queue.
wait_job() {
  for _ in $(seq 600); do [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0; sleep 1; done
  fail "job $1 did not finish in 10 minutes: $(squeue -j "$1")"
}
# The collected numbers at full precision (not the rounded Markdown): task, model, seed, lr, score, state of every run.
scores() { grep -E '"(Task|Model|Seed|LearningRate|Score|State)"' "$1/collected.json"; }
# Every logged training loss and accuracy, and every test length's accuracy, of each run of a sweep.
curves() { for f in $(cd "$1" && find runs -name results.json | sort); do echo "$f"; grep -E '"(Loss|Accuracy)"' "$1/$f"; done; }

# 1. The grid through Slurm, and the same grid here.
grid=(--tasks parity_check,even_pairs --models pr-lstm,lstm --seeds 0-1 --hidden 8 --batch-size 8 --steps 40 --log-every 10
      --checkpoint-every 20 --eval-lengths 41,60 --eval-batches 1 --eval-batch-size 8 --cpus 1 --mem 2G)
submitted=$(prlstm sweep "${grid[@]}" --out "$work/slurm-sweep" --submit) || fail "sweep --submit failed: $submitted"
job=$(echo "$submitted" | tail -n 1)
[[ "$job" =~ ^[0-9]+$ ]] || fail "sweep --submit printed no job id: $submitted"
echo "slurm test: submitted job $job (8 runs)"
wait_job "$job"
prlstm collect "$work/slurm-sweep" >"$work/collect-slurm.out" || fail "collect of the Slurm sweep: $(grep -E 'missing|failed' "$work/collect-slurm.out" | head -n 3); logs: $(tail -n 3 "$work"/slurm-sweep/logs/* | head -n 20)"
prlstm sweep "${grid[@]}" --out "$work/local-sweep" --local 2 >"$work/local.out" || fail "sweep --local failed: $(tail -n 5 "$work/local.out")"
prlstm collect "$work/local-sweep" >/dev/null || fail "collect of the local sweep failed"
diff <(scores "$work/slurm-sweep") <(scores "$work/local-sweep") >"$work/diff.txt" \
  || fail "the Slurm sweep and the local sweep score differently: $(cat "$work/diff.txt")"
diff <(curves "$work/slurm-sweep") <(curves "$work/local-sweep") >"$work/diff.txt" \
  || fail "the Slurm sweep and the local sweep trained differently: $(head -n 20 "$work/diff.txt")"
[ "$(grep -c '| finished |' "$work/slurm-sweep/collected.md")" = 8 ] || fail "collected.md does not list 8 finished runs: $(grep '^|' "$work/slurm-sweep/collected.md")"
echo "slurm test: 8 runs through Slurm give the table of sweep --local"

# 2. SIGTERM mid-run: the task saves, requeues itself, resumes and ends as an uninterrupted run does.
long=(--tasks even_pairs --models lstm --seeds 3 --hidden 8 --batch-size 8 --steps 3000 --log-every 20 --checkpoint-every 100
      --eval-lengths 41,60 --eval-batches 1 --eval-batch-size 8 --cpus 1 --mem 2G)
submitted=$(prlstm sweep "${long[@]}" --out "$work/requeue-sweep" --submit) || fail "sweep --submit (requeue test) failed: $submitted"
job=$(echo "$submitted" | tail -n 1)
log="$work/requeue-sweep/logs/${job}_0.out"
for _ in $(seq 120); do [ -f "$work/requeue-sweep/runs/even_pairs/lstm/seed3-lr0.001/checkpoint.json" ] && grep -q " step " "$log" 2>/dev/null && break; sleep 1; done
grep -q " step " "$log" 2>/dev/null || fail "the long run did not start training: $(squeue -j "$job"; cat "$log" 2>/dev/null)"
scancel --signal=TERM --batch "${job}_0" || fail "scancel --signal=TERM --batch ${job}_0 failed"
for _ in $(seq 120); do grep -q "requeueing it" "$log" && break; sleep 1; done
grep -q "interrupted at step" "$log" || fail "the task did not save on SIGTERM: $(tail -n 5 "$log")"
grep -q "requeueing it" "$log" || fail "the task did not requeue itself: $(tail -n 5 "$log")"
# A requeued job may wait for its begin time: let it start now.
for _ in $(seq 30); do squeue -h -j "$job" -o %T | grep -q PENDING && { scontrol update JobId="$job" StartTime=now >/dev/null 2>&1; scontrol release "$job" >/dev/null 2>&1; break; }; sleep 1; done
wait_job "$job"
prlstm collect "$work/requeue-sweep" >"$work/collect-requeue.out" || fail "the requeued run did not finish: $(cat "$work/collect-requeue.out" | tail -n 5); log: $(tail -n 5 "$log")"
prlstm sweep "${long[@]}" --out "$work/straight-sweep" --local 1 >/dev/null || fail "the uninterrupted run failed"
prlstm collect "$work/straight-sweep" >/dev/null || fail "collect of the uninterrupted run failed"
diff <(scores "$work/requeue-sweep") <(scores "$work/straight-sweep") >"$work/diff.txt" \
  || fail "the interrupted and requeued run scores differently from an uninterrupted one: $(cat "$work/diff.txt")"
diff <(curves "$work/requeue-sweep") <(curves "$work/straight-sweep") >"$work/diff.txt" \
  || fail "the interrupted and requeued run trained differently from an uninterrupted one: $(head -n 20 "$work/diff.txt")"
echo "slurm test: a task stopped by SIGTERM $(grep -o "interrupted at step [0-9]*" "$log") requeued itself, resumed and ended as the uninterrupted run (same $(curves "$work/requeue-sweep" | grep -c Loss) logged losses, score $(grep '| finished |' "$work/requeue-sweep/collected.md" | cut -d'|' -f6 | tr -d ' '))"
echo "slurm test: passed"
