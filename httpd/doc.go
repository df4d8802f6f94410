// Package httpd is the server's web front: the http and https listeners
// (ACME challenges, client autoconfiguration, the MTA-STS policy, later
// webmail) and the metrics listener. Connections come from the server's
// one accept loop through Server.ServeConn.
//
// Site holds the handlers of the two web listeners (site.go): which
// names are served (the hostname and, for each local domain D, D,
// autoconfig.D, autodiscover.D and mta-sts.D, asked of the store on
// every request so domains added at run time count at once), the route
// table with its methods, and what plain HTTP may answer (autoconfig;
// everything else is a redirect). One file per answer: autoconfig.go
// (Thunderbird), autodiscover.go (Outlook POX), mobileconfig.go (Apple
// profile), mtasts.go (RFC 8461 policy, also the text "dns records"
// hashes), landing.go; headers.go sets the HTTPS security headers.
//
// Every input is bounded before it is parsed: the header by
// Server's MaxHeaderBytes, an autodiscover body to 16 KiB, an address
// to 320 octets. Output is built with encoding/xml or escaped, never
// by pasting request text.
package httpd
