// Command authconfig-fn is meshauth's KRM function and CLI.
package main

import (
	"os"

	"meshauth.dev/meshauth/fn/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
