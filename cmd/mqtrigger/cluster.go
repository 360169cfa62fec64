package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/mqtrigger/mqtrigger/cluster"
	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/store"
)

const clusterUsage = `Usage: mqtrigger cluster status --config FILE

Lists the nodes of the cluster on the configured PostgreSQL store: each node's
name, member id, address and lease, and which node runs each concurrency slot of
each mapping. Every mqtrigger serve on the same store is a node of the cluster
(docs/cluster.md).

Flags:
`

func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "status" && args[0] != "--help" && args[0] != "-h" && args[0] != "-help") {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	if args[0] == "status" {
		args = args[1:]
	}
	fs := newFlags("cluster status", clusterUsage, stderr)
	path := fs.String("config", "", "YAML configuration `FILE` of a node")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	cfg := config.Default()
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path); err != nil {
			fmt.Fprintln(stderr, "mqtrigger:", err)
			return 2
		}
	}
	if cfg.Store == "" {
		fmt.Fprintln(stderr, "mqtrigger: the store is the embedded SQLite store, which serves a single node: there is no cluster (set store to a PostgreSQL URL)")
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, cfg.Store, cfg.DataDir)
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger:", err)
		return 1
	}
	defer st.Close()
	cs, ok := st.(cluster.Store)
	if !ok {
		fmt.Fprintln(stderr, "mqtrigger: this store cannot carry a cluster")
		return 1
	}
	s, err := cluster.ReadStatus(ctx, cs)
	if err != nil {
		fmt.Fprintln(stderr, "mqtrigger:", err)
		return 1
	}
	writeStatus(stdout, s)
	return 0
}

func writeStatus(w io.Writer, s *cluster.Status) {
	held := s.Held()
	names := make(map[string]string)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tID\tADDRESS\tLEASE\tRENEWED\tJOINED\tSLOTS")
	for _, m := range s.Members {
		names[m.ID] = m.Name
		lease := "expired"
		if m.Live {
			lease = "live, " + m.ExpiresAt.Sub(m.RenewedAt).Round(time.Second).String() + " from renewal"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", m.Name, m.ID, m.Address, lease,
			m.RenewedAt.UTC().Format(time.RFC3339Nano), m.JoinedAt.UTC().Format(time.RFC3339), held[m.ID])
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d nodes, %d slots held\n\n", len(s.Members), len(s.Slots))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MAPPING\tSLOT\tNODE\tID\tCLAIMED")
	for _, sl := range s.Slots {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", sl.MappingUUID, sl.Slot, names[sl.NodeID], sl.NodeID, sl.ClaimedAt.UTC().Format(time.RFC3339Nano))
	}
	tw.Flush()
}
