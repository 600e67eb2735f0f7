// Package runners turns a candidate into a running server: the local runner
// (processes on this host, sub-package local) and the docker runner (images
// and containers through the Docker Engine API, sub-package docker).
package runners
