#!/bin/sh
# flumego package: before removal. Stops the agent (it drains what it can) when the package is
# removed, not when it is upgraded.
set -e

case "$1" in
	remove | 0) ;; # dpkg: remove; rpm: 0 = erase
	*) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl stop flumego-agent.service >/dev/null 2>&1 || true
fi
exit 0
