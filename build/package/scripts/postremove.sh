#!/bin/sh
# flumego package: after removal. On purge (dpkg --purge) removes the unit's enablement and the
# flumego user. /var/lib/flumego is never deleted while it holds anything: it may hold buffered
# events (file channels) and positions, so the operator is told what is left.
set -e

state=/var/lib/flumego

case "$1" in
	purge) ;;
	remove | 0)
		if command -v deb-systemd-helper >/dev/null 2>&1; then
			deb-systemd-helper mask flumego-agent.service >/dev/null || true
		fi
		if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
		exit 0
		;;
	*) exit 0 ;;
esac

if command -v deb-systemd-helper >/dev/null 2>&1; then
	deb-systemd-helper purge flumego-agent.service >/dev/null || true
	deb-systemd-helper unmask flumego-agent.service >/dev/null || true
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi

if getent passwd flumego >/dev/null; then
	if command -v deluser >/dev/null 2>&1; then
		deluser --quiet --system flumego >/dev/null || true
	else
		userdel flumego >/dev/null 2>&1 || true
	fi
fi
if getent group flumego >/dev/null; then
	if command -v delgroup >/dev/null 2>&1; then
		delgroup --quiet --system flumego >/dev/null 2>&1 || true
	else
		groupdel flumego >/dev/null 2>&1 || true
	fi
fi

if [ -d "$state" ]; then
	rmdir "$state" 2>/dev/null || {
		n=$(find "$state" -mindepth 1 | wc -l)
		echo "flumego: $state is left in place: it holds $n entries (taildir positions, file channels with events not yet delivered). Remove it yourself once they are no longer needed."
	}
fi
exit 0
