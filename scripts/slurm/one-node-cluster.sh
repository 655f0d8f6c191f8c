#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the scale-out tests (docs/scale-out.md):
#   one-node-cluster.sh start DIR   configures Slurm in DIR (slurm.conf, state, logs), starts munged if
#                                   it is not running, then slurmctld and slurmd; prints SLURM_CONF=...
#   one-node-cluster.sh stop DIR    stops the daemons it started, by their process ids (DIR/*.pid)
# Needs root and Debian's slurm-wlm and munge (.ci/run installs them). Seen working without systemd.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?state folder}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
host=$(hostname -s)

stop() {
  for pid in "$dir"/slurmd.pid "$dir"/slurmctld.pid "$dir"/munged.pid; do
    [[ -f $pid ]] || continue
    p=$(cat "$pid"); kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    rm -f "$pid"
  done
}

if [[ $cmd == stop ]]; then stop; exit 0; fi
[[ $cmd == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
command -v slurmctld >/dev/null || { echo "slurm-wlm is not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
[[ $(id -u) == 0 ]] || { echo "the one-node cluster needs root" >&2; exit 3; }

# munge: the package's key, owned by munge; a daemon of our own only if none is running.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  [[ -f /etc/munge/munge.key ]] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; }
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge; chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/eegdino-munged.pid
  for _ in $(seq 50); do [[ -f /run/munge/eegdino-munged.pid ]] && break; sleep 0.1; done
  cp /run/munge/eegdino-munged.pid "$dir/munged.pid"
fi

mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cat > "$dir/slurm.conf" <<CONF
ClusterName=eegdino
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=$((6817 + RANDOM % 1000 * 2))
SlurmdPort=$((6818 + RANDOM % 1000 * 2))
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=$(( $(free -m | awk '/^Mem:/{print $2}') * 8 / 10 )) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld
slurmd
for _ in $(seq 100); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^idle' && { echo "SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "the node did not become idle; logs in $dir/log" >&2
sinfo >&2 || true; tail -20 "$dir/log/"*.log >&2 || true
stop; exit 1
