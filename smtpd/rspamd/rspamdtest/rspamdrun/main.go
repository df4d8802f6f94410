// Command rspamdrun starts the rspamd (and redis) of package rspamdtest,
// the configuration the tests use, for benchmarks outside go test
// (docs/bench/spam-accept). It prints the addresses, one "key=value" a
// line, then "ready", and runs until its standard input reaches EOF or
// it gets SIGINT/SIGTERM; then it stops rspamd and redis and removes
// their directory.
//
//	rspamdrun [-proxy] [-hyperscan] [-hs-cache DIR] [-workers N]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mailserver/mailserver/smtpd/rspamd/rspamdtest"
)

func main() {
	var o rspamdtest.Options
	flag.BoolVar(&o.Proxy, "proxy", false, "also start rspamd's proxy worker in milter mode (self_scan), for Postfix")
	flag.BoolVar(&o.Hyperscan, "hyperscan", false, "keep hyperscan on (faster scans; the first start compiles for a while)")
	flag.StringVar(&o.HSCacheDir, "hs-cache", "", "directory that keeps hyperscan's compiled cache between runs")
	flag.IntVar(&o.Workers, "workers", 1, "normal (scanner) worker processes, and as many milter proxies")
	flag.Parse()

	inst, err := rspamdtest.Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rspamdrun:", err)
		os.Exit(1)
	}
	defer inst.Stop()
	fmt.Printf("scan_url=%s\ncontroller_url=%s\npassword=%s\n", inst.ScanURL, inst.ControllerURL, rspamdtest.Password)
	if o.Proxy {
		fmt.Printf("milter=%s\n", inst.ProxyAddr)
	}
	fmt.Printf("dir=%s\nready\n", inst.Dir)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	<-ctx.Done()
}
