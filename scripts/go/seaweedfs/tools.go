//go:build tools

// Package tools pins SeaweedFS's `weed` main package so `go mod` keeps its dependencies.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
