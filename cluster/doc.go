// Package cluster runs several mqtrigger nodes on one PostgreSQL store: every
// node whose store is the same database is a member, and the members share each
// mapping's MaximumConcurrency slots so that together they never run more.
//
// The package holds the ideas; the store (package store, cluster.Store) holds the
// rows:
//
//   - Membership: a member row per node with a lease, renewed every Lease/5 by the
//     database's clock. A node that has not renewed for Lease*2/3 fences itself:
//     its supervisor stops every consumer (Handler.Fence) before any other node
//     may take its slots, which needs the lease to have ended. Members whose
//     lease ended are removed by the others, and their slots with them.
//   - Slots: a row per held (mapping, slot number), so the database itself refuses
//     a second holder. Share says how many of a mapping's slots a member should
//     hold; Node.Assign (the supervisor's esm.Assigner) gives back slots beyond it
//     once the workers running them have stopped, and claims free ones up to it.
//   - Changes: triggers NOTIFY every node of writes to mappings, secrets and
//     functions; Node.Run passes them to the Handler, and the supervisor's polling
//     catches what a lost notification missed.
//
// docs/cluster.md gives the timing argument and the measured figures.
package cluster
