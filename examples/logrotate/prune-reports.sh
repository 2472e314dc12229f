#!/bin/sh
# Removes genesys-ingest run reports older than DAYS days from <stateDir>/reports/<p_s>/.
#
#   prune-reports.sh STATE_DIR [DAYS]        DAYS defaults to 90
#   prune-reports.sh --dry-run STATE_DIR [DAYS]   only lists what would be removed
#
# Only files named like a report, <yyyyMMddTHHmmssZ>-<command>.json, are candidates. status.json
# (what monitoring reads), the temporary ".*.partial" files of a report being written, and anything
# else in those folders are never touched. Reports are not the chain of custody (the ledger under
# <stateDir>/ledger/ is, and it is never pruned by this script); keep them as long as your audit
# policy wants. Run it daily as the service user, e.g. from its crontab:
#   17 3 * * * /opt/genesys-ingest/prune-reports.sh /var/lib/genesys-ingest/state 90
set -eu

dry_run=no
if [ "${1:-}" = "--dry-run" ]; then
  dry_run=yes
  shift
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 [--dry-run] STATE_DIR [DAYS]" >&2
  exit 2
fi
state_dir=$1
days=${2:-90}
case $days in
  '' | *[!0-9]*)
    echo "$0: DAYS must be a whole number of days, not '$days'" >&2
    exit 2
    ;;
esac
reports=$state_dir/reports
if [ ! -d "$reports" ]; then
  echo "$0: $reports does not exist (is $state_dir the stateDir of the configuration?)" >&2
  exit 2
fi

# <reports>/<p_s>/<yyyyMMddTHHmmssZ>-<command>.json, last modified more than DAYS days ago.
d='[0-9]'
pattern="$d$d$d$d$d$d$d${d}T$d$d$d$d$d${d}Z-*.json"
if [ "$dry_run" = yes ]; then
  find "$reports" -mindepth 2 -maxdepth 2 -type f -name "$pattern" ! -name status.json -mtime +"$days" -print
else
  find "$reports" -mindepth 2 -maxdepth 2 -type f -name "$pattern" ! -name status.json -mtime +"$days" -print -exec rm -f -- {} +
fi
