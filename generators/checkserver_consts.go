package generators

import "meshauth.dev/meshauth/checkserver/config"

// The check-server's listeners, as the check-server image serves them
// (defined once, in checkserver/config).
const (
	checkServerName     = "check-server"
	CheckServerHTTPPort = config.HTTPPort
	CheckServerGRPCPort = config.GRPCPort
	CheckServerOpsPort  = config.OpsPort
)
