// Package gomod reads go.mod and go.sum.
package gomod
