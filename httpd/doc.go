// Package httpd is the server's web front: the http and https listeners
// (ACME challenges, client autoconfiguration, the MTA-STS policy, later
// webmail) and the metrics listener. Connections come from the server's
// one accept loop through Server.ServeConn.
package httpd
