// Package runners turns a candidate into a running server: the local runner
// (processes on this host, sub-package local), the docker runner (images
// and containers through the Docker Engine API, sub-package docker) and the
// swarm runner (the docker runner's images as services on a Docker Swarm
// cluster, sub-package swarm).
package runners
