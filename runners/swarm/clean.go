package swarm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/runners/docker"
)

// Clean removes what dead runs left: on a swarm manager first the services
// of runs whose bisect process is gone (waiting until their tasks are), then
// everything the docker runner's Clean removes (containers, networks, the
// run's overlay networks among them, dangling images, and with opts.All the
// cached images). On an engine that is not a swarm manager it is docker.Clean.
// A live run's objects are never touched.
func Clean(ctx context.Context, cli *client.Client, opts docker.CleanOptions) ([]string, error) {
	removed, err := sweepServices(ctx, cli, opts)
	more, derr := docker.Clean(ctx, cli, opts)
	return append(removed, more...), errors.Join(err, derr)
}

// sweepServices removes the services of dead runs, on a swarm manager.
func sweepServices(ctx context.Context, cli *client.Client, opts docker.CleanOptions) ([]string, error) {
	info, err := cli.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker engine info: %w", err)
	}
	if info.Swarm.LocalNodeState != swarm.LocalNodeStateActive || !info.Swarm.ControlAvailable {
		return nil, nil
	}
	svcs, err := cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelTool+"=bisect"))})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	now := time.Now()
	var removed []string
	var errs []error
	for _, s := range svcs {
		labels := s.Spec.Labels
		if docker.Alive(labels) || !older(labels, s.CreatedAt, now, opts.OlderThan) {
			continue
		}
		if err := removeService(ctx, cli, s.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "service "+s.Spec.Name)
	}
	return removed, errors.Join(errs...)
}

func older(labels map[string]string, created, now time.Time, than time.Duration) bool {
	if than <= 0 {
		return true
	}
	if s, err := strconv.ParseInt(labels[docker.LabelCreated], 10, 64); err == nil {
		created = time.Unix(s, 0)
	}
	return now.Sub(created) > than
}
