//go:build tools

// Package tools pins FerretDB's main package so `go mod tidy` keeps its dependencies in go.sum.
package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
