// Command krm-noop is the floor of the KRM function benchmarks: a function
// built with the same SDK and kyaml as authconfig-fn (fn.Execute) that reads a
// ResourceList from stdin and writes it back unchanged. It is what any KRM
// function costs before it does any work.
package main

import (
	"fmt"
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

func main() {
	noop := fn.ResourceListProcessorFunc(func(*fn.ResourceList) (bool, error) { return true, nil })
	if err := fn.Execute(noop, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
