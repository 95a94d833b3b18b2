// Command kfake runs franz-go's kfake Kafka broker on 127.0.0.1 as its own process, for
// benchmarks and manual checks with kcat:
//
//	go run ./internal/kafkatest/cmd/kfake -ports 9092 -topic app-logs:3
//
// It prints "listening on ADDR[,ADDR...]" once the brokers accept connections, and runs until
// SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

type topics []string

func (t *topics) String() string     { return strings.Join(*t, ",") }
func (t *topics) Set(v string) error { *t = append(*t, v); return nil }

func main() {
	ports := flag.String("ports", "0", "comma-separated ports, one broker per port (0 picks a free one)")
	dataDir := flag.String("data-dir", "", "keep the log on disk here (survives restarts); empty keeps it in memory")
	blackhole := flag.Bool("blackhole", false, "acknowledge produced records without storing them (offsets still advance)")
	autoCreate := flag.Bool("auto-create", false, "create topics on first use")
	var ts topics
	flag.Var(&ts, "topic", "NAME:PARTITIONS to create (repeatable)")
	flag.Parse()

	var opts []kfake.Opt
	var ps []int
	for _, p := range strings.Split(*ports, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			fail(fmt.Errorf("-ports: %w", err))
		}
		ps = append(ps, n)
	}
	opts = append(opts, kfake.Ports(ps...))
	for _, t := range ts {
		name, parts, _ := strings.Cut(t, ":")
		n, err := strconv.Atoi(parts)
		if err != nil || name == "" {
			fail(fmt.Errorf("-topic %q: want NAME:PARTITIONS", t))
		}
		opts = append(opts, kfake.SeedTopics(int32(n), name))
	}
	if *dataDir != "" {
		opts = append(opts, kfake.DataDir(*dataDir))
	}
	if *blackhole {
		opts = append(opts, kfake.BlackholeProduce())
	}
	if *autoCreate {
		opts = append(opts, kfake.AllowAutoTopicCreation())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fail(err)
	}
	fmt.Printf("listening on %s\n", strings.Join(c.ListenAddrs(), ","))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	c.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kfake:", err)
	os.Exit(1)
}
