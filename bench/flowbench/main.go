// Command flowbench measures whole flows through the real agent binary: it starts the agent on
// an example config, pushes a fixed workload through it, and reports events/s, MiB/s, the
// agent's CPU seconds and peak resident memory (and its anonymous and file-backed parts). Next
// to each flow it prints the machine's limit for the same input as a ratio: `cat` of the log to
// /dev/null (reading) or to a file on the same disk (reading and writing), and `kcat -P`
// (librdkafka) producing the log into the same broker. Figures are for reports, never for
// pass/fail.
//
//	go run ./bench/flowbench                          # every scenario once
//	go run ./bench/flowbench -only taildir -repeat 3  # matching scenarios, 3 interleaved rounds
//	go run ./bench/flowbench -only kafka,kcat -compression none,lz4
//
// With -repeat N every selected scenario runs once per round, round after round, so that load
// from other work on the machine spreads over all of them; the report gives medians and ranges,
// the load average at the start of each round, and the aims of the benchmarks as ratios.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// result is one run of a scenario.
type result struct {
	events, bytes int64
	seconds, cpu  float64
	// Peak resident memory (VmHWM), and the highest anonymous and file-backed resident sizes
	// seen while it ran, in KiB.
	peak, anon, file int64
}

// scenario is one measurement; ref names the limit scenario it is printed as a ratio of.
type scenario struct {
	name, ref string
	run       func() result
}

// aim is a ratio of two scenarios' throughputs that the benchmarks aim at (issue 16).
type aim struct {
	what     string
	num, den string
	atLeast  float64
}

func main() {
	agentBin := flag.String("agent", "", "agent binary (default: build ./cmd/agent)")
	only := flag.String("only", "", "run only scenarios whose name contains one of these (comma-separated)")
	repeat := flag.Int("repeat", 1, "rounds: every selected scenario runs once per round, interleaved")
	total := flag.Int64("events", 5_000_000, "events per seq scenario")
	lines := flag.Int("lines", 2_000_000, "150-byte lines for the netcat scenario")
	codecs := flag.String("compression", "none,lz4,zstd", "Kafka compressions to measure")
	channels := flag.String("channels", "memory,file", "channels of the Kafka flows")
	serializers := flag.String("serializers", "text", "serializers of the Kafka flows: text, filebeat")
	blackhole := flag.Bool("blackhole", false, "the Kafka broker acknowledges without storing")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "flowbench-")
	check(err)
	defer os.RemoveAll(tmp)
	if *agentBin == "" {
		*agentBin = filepath.Join(tmp, "agent")
		build("./cmd/agent", *agentBin)
	}
	bin := *agentBin

	scenarios := []scenario{{name: "idle RSS (quickstart)", run: func() result { return idle(bin) }}}
	for _, b := range []int{1, 100, 1000} {
		n := *total
		if b == 1 {
			n /= 10
		}
		scenarios = append(scenarios, scenario{name: fmt.Sprintf("seq → memory → null, batch %d", b), run: func() result {
			return seqFlow(bin, "examples/seq-null.hcl", b, n)
		}})
	}
	scenarios = append(scenarios, scenario{name: "seq → script → memory → null, batch 1000", run: func() result {
		return seqFlow(bin, "examples/seq-script-null.hcl", 1000, *total/5)
	}})
	fsync := os.Getenv("FLUMEGO_FSYNC") // the file channel's fsync mode: commit (default) or interval
	if fsync == "" {
		fsync = "commit"
	}
	scenarios = append(scenarios,
		scenario{name: "seq → file(fsync=" + fsync + ") → null, batch 1000", run: func() result {
			return seqFlow(bin, "examples/seq-file-null.hcl", 1000, *total/5)
		}},
		scenario{name: "netcat → memory → null, 150-byte lines, no acks", run: func() result { return netcatFlow(bin, *lines) }})
	scenarios = append(scenarios, limitScenarios()...)
	scenarios = append(scenarios, fileSourceScenarios(bin)...)
	k := &kafkaBench{agent: bin, tmp: tmp, blackhole: *blackhole}
	scenarios = append(scenarios, k.scenarios(split(*channels), split(*codecs), split(*serializers))...)

	var selected []scenario
	for _, s := range scenarios {
		if *only == "" || slices.ContainsFunc(split(*only), func(w string) bool { return strings.Contains(s.name, w) }) {
			selected = append(selected, s)
		}
	}
	runs := map[string][]result{}
	for round := range *repeat {
		fmt.Printf("round %d of %d: load average %s\n", round+1, *repeat, loadAverage())
		for _, s := range selected {
			r := s.run()
			runs[s.name] = append(runs[s.name], r)
			fmt.Printf("  %-58s %7.2f s %7.2f CPU s %7.1f MiB\n", s.name, r.seconds, r.cpu, float64(r.peak)/1024)
		}
	}
	fmt.Printf("load average at the end: %s\n\n", loadAverage())
	report(selected, runs, *repeat)
	reportAims(k.aims(split(*codecs)), runs)
}

// report prints each scenario's medians (ranges in brackets with more than one round) and its
// throughput as a ratio of its limit's.
func report(selected []scenario, runs map[string][]result, rounds int) {
	fmt.Printf("%-58s %10s %16s %10s %7s %14s %20s  %s\n", "scenario", "events", "seconds", "events/s", "MiB/s",
		"CPU s", "peak MiB (anon+file)", "vs limit")
	for _, s := range selected {
		rs := runs[s.name]
		if len(rs) == 0 {
			continue
		}
		secs := median(rs, func(r result) float64 { return r.seconds })
		rate, mib := "-", "-"
		if secs > 0 && rs[0].events > 0 {
			rate = fmt.Sprintf("%.0f", float64(rs[0].events)/secs)
			if rs[0].bytes > 0 {
				mib = fmt.Sprintf("%.1f", float64(rs[0].bytes)/secs/(1<<20))
			}
		}
		vs := ""
		if ref := runs[s.ref]; len(ref) > 0 && secs > 0 {
			vs = fmt.Sprintf("%.2f× %s", median(ref, func(r result) float64 { return r.seconds })/secs, s.ref)
		}
		mem := "-"
		if rs[0].peak > 0 {
			mem = fmt.Sprintf("%.0f (%.0f+%.0f)", median(rs, func(r result) float64 { return float64(r.peak) / 1024 }),
				median(rs, func(r result) float64 { return float64(r.anon) / 1024 }),
				median(rs, func(r result) float64 { return float64(r.file) / 1024 }))
		}
		fmt.Printf("%-58s %10d %16s %10s %7s %14s %20s  %s\n", s.name, rs[0].events,
			spread(rs, rounds, "%.2f", func(r result) float64 { return r.seconds }), rate, mib,
			spread(rs, rounds, "%.2f", func(r result) float64 { return r.cpu }), mem, vs)
	}
}

// reportAims prints the aims whose two scenarios ran, as ratios of median throughputs.
func reportAims(aims []aim, runs map[string][]result) {
	aims = append([]aim{
		{"defaults / tuned example, taildir → memory → file_roll", defaultsFileRoll, tunedFileRoll, 0.8},
		{"file channel (fsync=commit) / memory channel, taildir → null", fileNull, memoryNull, 0.5},
	}, aims...)
	printed := false
	for _, a := range aims {
		num, den := runs[a.num], runs[a.den]
		if len(num) == 0 || len(den) == 0 {
			continue
		}
		if !printed {
			fmt.Println("\naims (throughput ratios of medians; reported, never asserted):")
			printed = true
		}
		ratio := median(den, func(r result) float64 { return r.seconds }) / median(num, func(r result) float64 { return r.seconds })
		fmt.Printf("  %-66s %5.2f (aim ≥ %.2f)\n", a.what, ratio, a.atLeast)
	}
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// spread is the median, with the range when there were several rounds.
func spread(rs []result, rounds int, format string, f func(result) float64) string {
	m := fmt.Sprintf(format, median(rs, f))
	if rounds < 2 {
		return m
	}
	lo, hi := f(rs[0]), f(rs[0])
	for _, r := range rs {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	return fmt.Sprintf("%s ["+format+"–"+format+"]", m, lo, hi)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func build(pkg, out string) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
