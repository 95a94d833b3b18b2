// Command flowbench measures whole flows through the real agent binary: it starts the agent on
// an example config, pushes a fixed workload through it, and reports events/s, MiB/s, the
// agent's CPU seconds and peak RSS. Figures are for reports, never for pass/fail.
//
//	go run ./bench/flowbench                 # every scenario
//	go run ./bench/flowbench -only seq       # scenarios whose name contains "seq"
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type result struct {
	name          string
	events, bytes int64
	seconds       float64
	cpu           float64
	peakRSS       int64 // KiB
}

func main() {
	agentBin := flag.String("agent", "", "agent binary (default: build ./cmd/agent)")
	only := flag.String("only", "", "run only scenarios whose name contains this")
	total := flag.Int64("events", 5_000_000, "events per seq scenario")
	lines := flag.Int("lines", 2_000_000, "150-byte lines for the netcat scenario")
	flag.Parse()

	if *agentBin == "" {
		dir, err := os.MkdirTemp("", "flowbench-")
		check(err)
		defer os.RemoveAll(dir)
		*agentBin = filepath.Join(dir, "agent")
		build := exec.Command("go", "build", "-o", *agentBin, "./cmd/agent")
		build.Stderr = os.Stderr
		check(build.Run())
	}
	type scenario struct {
		name string
		run  func() result
	}
	scenarios := []scenario{
		{"idle RSS (quickstart)", func() result { return idle(*agentBin) }},
	}
	for _, b := range []int{1, 100, 1000} {
		n := *total
		if b == 1 {
			n /= 10
		}
		scenarios = append(scenarios, scenario{fmt.Sprintf("seq → memory → null, batch %d", b), func() result {
			return seqFlow(*agentBin, "examples/seq-null.hcl", b, n)
		}})
	}
	scenarios = append(scenarios, scenario{"seq → script → memory → null, batch 1000", func() result {
		return seqFlow(*agentBin, "examples/seq-script-null.hcl", 1000, *total/5)
	}})
	fsync := os.Getenv("FLUMEGO_FSYNC") // the file channel's fsync mode: commit (default) or interval
	if fsync == "" {
		fsync = "commit"
	}
	scenarios = append(scenarios, scenario{"seq → file(fsync=" + fsync + ") → null, batch 1000", func() result {
		return seqFlow(*agentBin, "examples/seq-file-null.hcl", 1000, *total/5)
	}})
	scenarios = append(scenarios, scenario{"netcat → memory → null, 150-byte lines, no acks", func() result {
		return netcatFlow(*agentBin, *lines)
	}})
	for _, s := range fileSourceScenarios(*agentBin) {
		scenarios = append(scenarios, scenario{s.name, s.run})
	}

	fmt.Printf("%-50s %10s %8s %12s %9s %7s %9s\n", "scenario", "events", "seconds", "events/s", "MiB/s", "CPU s", "peak MiB")
	for _, s := range scenarios {
		if *only != "" && !strings.Contains(s.name, *only) {
			continue
		}
		r := s.run()
		r.name = s.name
		rate, mib := "-", "-"
		if r.seconds > 0 && r.events > 0 {
			rate = fmt.Sprintf("%.0f", float64(r.events)/r.seconds)
			if r.bytes > 0 {
				mib = fmt.Sprintf("%.1f", float64(r.bytes)/r.seconds/(1<<20))
			}
		}
		fmt.Printf("%-50s %10d %8.2f %12s %9s %7.2f %9.1f\n", r.name, r.events, r.seconds, rate, mib, r.cpu, float64(r.peakRSS)/1024)
	}
}

type proc struct {
	cmd     *exec.Cmd
	metrics string
}

func start(bin, cfg string, env ...string) *proc {
	m := fmt.Sprintf("127.0.0.1:%d", freePort())
	cmd := exec.Command(bin, "-f", cfg, "--log-level", "warn")
	cmd.Env = append(append(os.Environ(), "FLUMEGO_METRICS="+m), env...)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	p := &proc{cmd: cmd, metrics: m}
	deadline := time.Now().Add(20 * time.Second)
	for p.value("flumego_channel_capacity") < 0 {
		if time.Now().After(deadline) {
			panic("agent did not come up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return p
}

// value sums every series of a metric; -1 when the endpoint is not up yet.
func (p *proc) value(name string) float64 {
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sum, found := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
			found = true
		}
	}
	if !found {
		return -1
	}
	return sum
}

func (p *proc) waitFor(name string, target float64) time.Time {
	deadline := time.Now().Add(10 * time.Minute)
	for p.value(name) < target {
		if time.Now().After(deadline) {
			panic("timed out waiting for " + name)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Now()
}

// stop reads CPU and peak RSS from /proc, then stops the agent.
func (p *proc) stop() (cpu float64, peak int64) {
	pid := p.cmd.Process.Pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		cpu = (ut + st) / 100 // USER_HZ
	}
	peak = statusKiB(pid, "VmHWM:")
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
	return cpu, peak
}

func statusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field) {
			v, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return v
		}
	}
	return 0
}

func idle(bin string) result {
	p := start(bin, "examples/quickstart.hcl", fmt.Sprintf("FLUMEGO_PORT=%d", freePort()))
	time.Sleep(2 * time.Second) // let start-up garbage be collected; idle is what it settles at
	rss := statusKiB(p.cmd.Process.Pid, "VmRSS:")
	cpu, _ := p.stop()
	return result{cpu: cpu, peakRSS: rss}
}

func seqFlow(bin, cfg string, batch int, total int64) result {
	dir, err := os.MkdirTemp("", "flowbench-chan-")
	check(err)
	defer os.RemoveAll(dir)
	t0 := time.Now()
	p := start(bin, cfg, fmt.Sprintf("FLUMEGO_BATCH=%d", batch), fmt.Sprintf("FLUMEGO_TOTAL=%d", total), "FLUMEGO_DIR="+dir)
	end := p.waitFor("flumego_sink_event_drain_success_total", float64(total))
	cpu, peak := p.stop()
	return result{events: total, seconds: end.Sub(t0).Seconds(), cpu: cpu, peakRSS: peak}
}

func netcatFlow(bin string, n int) result {
	port := freePort()
	p := start(bin, "examples/netcat-null.hcl", fmt.Sprintf("FLUMEGO_PORT=%d", port))
	line := []byte(strings.Repeat("x", 149) + "\n")
	payload := make([]byte, 0, len(line)*10000)
	for i := 0; i < 10000; i++ {
		payload = append(payload, line...)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	check(err)
	t0 := time.Now()
	for sent := 0; sent < n; sent += 10000 {
		_, err := c.Write(payload)
		check(err)
	}
	check(c.(*net.TCPConn).CloseWrite())
	sentLines := ((n + 9999) / 10000) * 10000
	end := p.waitFor("flumego_sink_event_drain_success_total", float64(sentLines))
	c.Close()
	cpu, peak := p.stop()
	return result{events: int64(sentLines), bytes: int64(sentLines) * int64(len(line)), seconds: end.Sub(t0).Seconds(), cpu: cpu, peakRSS: peak}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
