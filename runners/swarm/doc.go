// Package swarm is the runner that starts each candidate as a service on a
// Docker Swarm cluster (runner.kind: swarm), so that the probes of a round
// run on different machines.
//
// # Configuration
//
// The docker runner's keys (dockerfile, port, env, start, ready,
// build_args, builder, build_parallel), and:
//
//	runner:
//	  kind: swarm
//	  registry: 127.0.0.1:5000   # every candidate image is pushed there; "" only on a one-node swarm
//	  cpus: 1                    # the service's reservation and limit: the scheduler spreads and packs by it
//	  memory: 512m               # likewise
//
// The engine the environment names (DOCKER_HOST, …) must be a manager of
// the swarm.
//
// # What a probe does
//
// The image is built on the manager exactly as the docker runner builds it
// (runners/docker: same tag, same cache, BuildKit where the engine has it).
// On a swarm of more than one node it is tagged into runner.registry and
// pushed, once per image and run, so that any node can pull it; on one node
// the local image serves and nothing is pushed.
//
// Each probe is one service with one replica, restart condition none (the
// candidate's exit is evidence, not a reason to start it again), the
// candidate's env, reservations and limits from runner.cpus and
// runner.memory, the tool's labels (run, candidate, pid, start time, host,
// created) on the service and its containers, attached to the run's
// overlay network (lockbisect-swarm-<run>). No routing mesh and no virtual
// IP (they need IPVS, which not every kernel has, and a task "Running"
// behind them may refuse every connection): endpoint mode dnsrr and the
// container port published in host mode, on a port the node picks, on the
// node that runs the task, only while it runs. That port is open on all
// that node's interfaces. Readiness and the oracle reach it as a client
// would, at the node's advertised address (from the node list) and the
// task's published port: a task is ready when its server answers
// ready.path, never because the cluster says "Running".
//
// A task the cluster cannot place (no node with the resources) or whose
// server does not answer within runner.ready.timeout is untestable, with
// the reason; a task that exits is untestable with its last output (the
// logs come from the service's tasks). A task the cluster rejects, orphans
// (its node went down) or shuts down is an infrastructure error: the probe
// is retried (search.retries) as a new service, which the scheduler places
// on a node that is up. A manager that does not answer, or a swarm without
// a leader (lost quorum), stops the run (runners.ErrSetup; exit 1), to be
// resumed with --resume: whenever a probe fails (a build cut off by the
// manager's daemon going away included) or its server was disturbed, the
// cluster is asked first, so that neither becomes a verdict.
//
// BenchmarkHunt16 runs one 16-change hunt with two probes at a time, each
// probe reserving all of a node's CPUs: on this 2-CPU machine it took 50s
// on one node (5 rounds, 8 probes, nothing pushed) and 33s on two (5
// rounds, 9 probes, 9 pushes of about 0.6s each): the probes of a round
// run side by side only when there is a node for each.
//
// The service is removed after each probe whatever happened, and the
// runner waits until its tasks and containers are gone; Close removes the
// run's network. New first removes the services of dead runs, and Clean
// (bisect clean) does so on demand before the docker runner's sweep.
package swarm
