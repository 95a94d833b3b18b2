#!/bin/sh
# flumego package: after install or upgrade. Creates the flumego system user and its state
# directory, and enables the unit without starting it: the operator starts it once
# /etc/flumego/flume.hcl describes their flow.
set -e

case "$1" in
	configure | 1 | 2) ;; # dpkg: configure; rpm: 1 = install, 2 = upgrade
	*) exit 0 ;;
esac

if ! getent passwd flumego >/dev/null; then
	if command -v adduser >/dev/null 2>&1 && [ -f /etc/debian_version ]; then
		adduser --quiet --system --group --no-create-home --home /var/lib/flumego flumego
	else
		useradd --system --user-group --no-create-home --home-dir /var/lib/flumego \
			--shell /sbin/nologin --comment "flumego agent" flumego
	fi
fi
# State (taildir positions, file channels): kept across upgrades, never emptied here.
install -d -o flumego -g flumego -m 0750 /var/lib/flumego

if command -v deb-systemd-helper >/dev/null 2>&1; then
	deb-systemd-helper enable flumego-agent.service >/dev/null || true
elif command -v systemctl >/dev/null 2>&1; then
	systemctl enable flumego-agent.service >/dev/null 2>&1 || true
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	# An upgrade restarts a running agent on the new binary; a first install does not start it.
	if systemctl is-active --quiet flumego-agent.service; then
		systemctl try-restart flumego-agent.service || true
	fi
fi

if [ "$1" = configure ] && [ -z "${2:-}" ] || [ "$1" = 1 ]; then
	echo "flumego: edit /etc/flumego/flume.hcl, check it with 'agent validate -f /etc/flumego/flume.hcl', then 'systemctl start flumego-agent'"
fi
exit 0
