package generators

// The check-server's listeners, as the check-server image serves them.
const (
	checkServerName     = "check-server"
	CheckServerHTTPPort = 8080
	CheckServerGRPCPort = 9000
	CheckServerOpsPort  = 8081
)
