package cli

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifier tells systemd about the agent's state through $NOTIFY_SOCKET (Type=notify): READY=1
// once every component started and after each reload, RELOADING=1 while one runs, STOPPING=1
// when stopping, STATUS= lines for `systemctl status`. Without $NOTIFY_SOCKET (not under
// systemd) every call does nothing.
type notifier struct {
	log *slog.Logger
}

func (n notifier) send(states ...string) {
	sent, err := daemon.SdNotify(false, strings.Join(states, "\n"))
	if err != nil {
		n.log.Warn("systemd notification failed", "state", states[0], "err", err)
	} else if sent {
		n.log.Debug("systemd notified", "state", strings.Join(states, " "))
	}
}

func (n notifier) ready(status string) { n.send(daemon.SdNotifyReady, "STATUS="+status) }

// reloading carries MONOTONIC_USEC, which systemd 253 and later want with RELOADING=1.
func (n notifier) reloading() {
	states := []string{daemon.SdNotifyReloading}
	if m := strings.TrimSpace(daemon.SdNotifyMonotonicUsec()); m != "" {
		states = append(states, m)
	}
	n.send(states...)
}

func (n notifier) stopping() { n.send(daemon.SdNotifyStopping, "STATUS=stopping: draining sinks") }

// watchdog serves systemd's WatchdogSec: when $WATCHDOG_USEC is set (for this process), it
// sends WATCHDOG=1 every half interval until ctx ends, but only while healthy() returns nil —
// a component that stopped for good (agent.Alive) stops the pings, so systemd restarts the
// agent after WatchdogSec. A degraded destination does not: a restart would not heal it.
func (n notifier) watchdog(ctx context.Context, healthy func() error) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("systemd watchdog misconfigured; not serving it", "err", err)
		return
	}
	if interval <= 0 {
		return
	}
	n.log.Info("serving the systemd watchdog", "interval", interval)
	tick := time.NewTicker(interval / 2)
	defer tick.Stop()
	wasHealthy := true
	for {
		err := healthy()
		if err == nil {
			n.send(daemon.SdNotifyWatchdog)
		}
		if (err == nil) != wasHealthy {
			if err != nil {
				n.log.Error("unhealthy: no longer answering the systemd watchdog", "err", err)
			} else {
				n.log.Info("healthy again: answering the systemd watchdog")
			}
			wasHealthy = err == nil
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
