// Package runners turns a candidate into a running server: the local runner
// (processes on this host, sub-package local), the docker runner (images
// and containers through the Docker Engine API, sub-package docker) and the
// swarm runner (the docker runner's images as services on a Docker Swarm
// cluster, sub-package swarm). Each runner package owns its settings (its
// Config, defaults and validation) and offers its registry entry (Kind);
// this package holds what they share: the settings every runner reads
// ([Config]), the [Registry] of kinds (composed in cmd/bisect), requests,
// instances and the errors that classify a failed start.
package runners
