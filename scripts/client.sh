#!/usr/bin/env bash
# scripts/client.sh [HOST] [PORT] COMMAND...: send one request to `ufsearch serve` (docs/PROTOCOL.md) with bash's
# /dev/tcp and print the response: the status line, then the data lines with dot-stuffing undone, up to (not
# including) the terminating `.` line.
#
#   scripts/client.sh PING
#   scripts/client.sh 7700 QUERY limit=3 统一战线
#   scripts/client.sh 127.0.0.1 7700 GET 2019/0000042.txt
#
# HOST and PORT default to $UFSEARCH_HOST (127.0.0.1) and $UFSEARCH_PORT (7700). The first argument is taken as
# the port when it is all digits; the first two as host and port when the second is all digits (and a command
# follows). The words of COMMAND are joined with single spaces into the request line.
# Exit status: 0 for an OK response, 1 for ERR, 2 when the connection or the response failed.
set -uo pipefail

host="${UFSEARCH_HOST:-127.0.0.1}"
port="${UFSEARCH_PORT:-7700}"
digits='^[0-9]+$'
if [ $# -ge 2 ] && [[ $1 =~ $digits ]]; then
    port=$1; shift
elif [ $# -ge 3 ] && [[ $2 =~ $digits ]]; then
    host=$1; port=$2; shift 2
fi
if [ $# -eq 0 ]; then
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
fi
request="$*"
case "$request" in
    *$'\n'* | *$'\r'*) echo "client.sh: the request must be one line" >&2; exit 2 ;;
esac

if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
    echo "client.sh: cannot connect to $host:$port" >&2
    exit 2
fi
printf '%s\n' "$request" >&3

timeout="${UFSEARCH_TIMEOUT:-30}"
status=""
while :; do
    if ! IFS= read -r -t "$timeout" line <&3; then
        # End of file (or timeout) before the terminator; a last line without \n is still in $line.
        [ -n "$line" ] && printf '%s\n' "$line"
        echo "client.sh: the connection ended before the end of the response" >&2
        exec 3<&-
        exit 2
    fi
    if [ -z "$status" ]; then
        status=$line
        printf '%s\n' "$line"
        continue
    fi
    [ "$line" = . ] && break
    [ "${line:0:1}" = . ] && line=${line:1}  # undo dot-stuffing
    printf '%s\n' "$line"
done
exec 3<&-
case "$status" in
    OK | OK\ *) exit 0 ;;
    *) exit 1 ;;
esac
