// Package rspamdtest starts a real rspamd (Debian package "rspamd") and
// the redis-server (package "redis-server") its Bayes classifier uses, as
// child processes on free loopback ports with a configuration in a
// temporary directory, for tests and benchmarks. A fake DNS server
// answering NXDOMAIN keeps rspamd's network checks fast and offline.
//
// The configuration: GTUBE is rejected; reject at 15, add header at 6
// (greylisting off); a header "X-Test-Spam: yes" scores 8 (between add
// header and reject); "X-Test-Soft: yes" forces "soft reject",
// "X-Test-Rewrite: yes" "rewrite subject" (to "[SPAM] subject").
package rspamdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Password is the controller password of the test instances.
const Password = "rspamdtest-password"

// Options select extras.
type Options struct {
	// Proxy starts rspamd's proxy worker in milter mode (for Postfix).
	Proxy bool
	// Hyperscan keeps hyperscan on (faster scans, slower first start);
	// its cache is kept in HSCacheDir if set.
	Hyperscan  bool
	HSCacheDir string
	// Workers is the normal worker count (default 1).
	Workers int
}

// Instance is a running rspamd with its redis.
type Instance struct {
	ScanURL       string // http://127.0.0.1:port of the normal worker
	ControllerURL string
	ProxyAddr     string // host:port of the milter, if Options.Proxy
	Dir           string

	rspamd, redis *exec.Cmd
	// Closing these pipes (Stop, or the test process dying) ends the
	// children (guarded).
	rspamdLife, redisLife io.Closer
	redisAddr             string
	dns                   *dns.Server
}

// Start starts redis and rspamd and waits until both answer.
func Start(o Options) (inst *Instance, err error) {
	rspamdBin, err := exec.LookPath("rspamd")
	if err != nil {
		return nil, errors.New("rspamdtest: rspamd is not installed (Debian package \"rspamd\": apt-get install -y rspamd)")
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("rspamdtest: redis-server is not installed (Debian package \"redis-server\": apt-get install -y redis-server)")
	}
	dir, err := os.MkdirTemp("", "rspamdtest-")
	if err != nil {
		return nil, err
	}
	inst = &Instance{Dir: dir}
	defer func() {
		if err != nil {
			inst.Stop()
		}
	}()
	for _, d := range []string{"local.d", "override.d", "db", "run", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return inst, err
		}
	}
	dnsAddr, err := inst.startDNS()
	if err != nil {
		return inst, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return inst, err
	}
	redisAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	inst.redisAddr = redisAddr
	inst.redis, inst.redisLife = guarded(redisBin, "--port", fmt.Sprint(ports[0]), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", filepath.Join(dir, "db"), "--daemonize", "no")
	if err := inst.redis.Start(); err != nil {
		return inst, fmt.Errorf("rspamdtest: redis-server: %w", err)
	}
	scan := fmt.Sprintf("127.0.0.1:%d", ports[1])
	ctrl := fmt.Sprintf("127.0.0.1:%d", ports[2])
	inst.ScanURL, inst.ControllerURL = "http://"+scan, "http://"+ctrl
	workers := o.Workers
	if workers <= 0 {
		workers = 1
	}
	proxy := `count = 0;`
	if o.Proxy {
		inst.ProxyAddr = fmt.Sprintf("127.0.0.1:%d", ports[3])
		proxy = fmt.Sprintf("bind_socket = %q; milter = yes; timeout = 120s; count = %d;\nupstream \"local\" { default = yes; self_scan = yes; }\n", inst.ProxyAddr, workers)
	}
	// The public suffix list takes rspamd half a minute to compile; the
	// tests need a few suffixes.
	tld := filepath.Join(dir, "tld.dat")
	if err := os.WriteFile(tld, []byte("com\nnet\norg\nexample\ntest\ninvalid\n"), 0o644); err != nil {
		return inst, err
	}
	options := fmt.Sprintf("dns { nameserver = [%q]; timeout = 1s; retransmits = 1; }\nurl_tld = %q;\n", dnsAddr, tld)
	hs := o.HSCacheDir
	if hs == "" {
		hs = filepath.Join(dir, "db")
	}
	if o.Hyperscan {
		options += fmt.Sprintf("hs_cache_dir = %q;\n", hs)
	} else {
		options += "disable_hyperscan = true;\n"
	}
	files := map[string]string{
		"override.d/worker-normal.inc":     fmt.Sprintf("bind_socket = %q; count = %d;\n", scan, workers),
		"override.d/worker-controller.inc": fmt.Sprintf("bind_socket = %q; count = 1; password = %q; enable_password = %q; secure_ip = \"192.0.2.1\";\n", ctrl, Password, Password),
		"override.d/worker-proxy.inc":      proxy,
		"override.d/worker-fuzzy.inc":      "count = -1;\n",
		"local.d/options.inc":              options,
		"local.d/redis.conf":               fmt.Sprintf("servers = %q;\n", redisAddr),
		"override.d/actions.conf":          "reject = 50; add_header = 6; rewrite_subject = null; greylist = null; subject = \"[SPAM] %s\";\n",
		"local.d/greylist.conf":            "enabled = false;\n",
		"local.d/hfilter.conf":             "enabled = false;\n",
		"local.d/rbl.conf":                 "enabled = false;\n",
		"local.d/fuzzy_check.conf":         "enabled = false;\n",
		"local.d/classifier-bayes.conf":    "autolearn = false;\n",
		"override.d/logging.inc":           "level = \"warning\";\n",
		"local.d/multimap.conf": `TEST_SPAM_HEADER { type = "header"; header = "X-Test-Spam"; regexp = true; map = "${LOCAL_CONFDIR}/test-spam.map"; score = 8.0; description = "test: between add header and reject"; }
TEST_REWRITE_HEADER { type = "header"; header = "X-Test-Rewrite"; regexp = true; map = "${LOCAL_CONFDIR}/test-spam.map"; score = 0.0; action = "rewrite subject"; }
TEST_SOFT_HEADER { type = "header"; header = "X-Test-Soft"; regexp = true; map = "${LOCAL_CONFDIR}/test-spam.map"; score = 0.0; action = "soft reject"; message = "test: try again later"; }
`,
		"test-spam.map": "/yes/i\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return inst, err
		}
	}
	inst.rspamd, inst.rspamdLife = guarded(rspamdBin, "-f", "-i", "-c", "/etc/rspamd/rspamd.conf",
		"--var=LOCAL_CONFDIR="+dir, "--var=DBDIR="+filepath.Join(dir, "db"),
		"--var=RUNDIR="+filepath.Join(dir, "run"), "--var=LOGDIR="+filepath.Join(dir, "log"))
	out, err := os.Create(filepath.Join(dir, "log", "stderr"))
	if err != nil {
		return inst, err
	}
	defer out.Close()
	inst.rspamd.Stdout, inst.rspamd.Stderr = out, out
	if err := inst.rspamd.Start(); err != nil {
		return inst, fmt.Errorf("rspamdtest: rspamd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- inst.rspamd.Wait() }()
	deadline := time.Now().Add(90 * time.Second)
	for _, u := range []string{inst.ScanURL, inst.ControllerURL} {
		for !ping(u) {
			select {
			case err := <-exited:
				inst.rspamd = nil
				return inst, fmt.Errorf("rspamdtest: rspamd exited (%v): %s", err, inst.Log())
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return inst, fmt.Errorf("rspamdtest: rspamd did not answer on %s: %s", u, inst.Log())
			}
		}
	}
	return inst, nil
}

// Log returns the tail of rspamd's logs, for error messages.
func (inst *Instance) Log() string {
	var b strings.Builder
	for _, n := range []string{"stderr", "rspamd.log"} {
		data, _ := os.ReadFile(filepath.Join(inst.Dir, "log", n))
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		b.Write(data)
	}
	return b.String()
}

// Stop ends rspamd and redis and removes the directory.
func (inst *Instance) Stop() {
	for _, c := range []io.Closer{inst.rspamdLife, inst.redisLife} {
		if c != nil {
			c.Close()
		}
	}
	if inst.rspamd != nil && inst.rspamd.Process != nil {
		syscall.Kill(-inst.rspamd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			for i := 0; i < 100 && syscall.Kill(-inst.rspamd.Process.Pid, 0) == nil; i++ {
				time.Sleep(50 * time.Millisecond)
			}
			close(done)
		}()
		<-done
		syscall.Kill(-inst.rspamd.Process.Pid, syscall.SIGKILL)
	}
	if inst.redis != nil && inst.redis.Process != nil {
		syscall.Kill(-inst.redis.Process.Pid, syscall.SIGKILL)
		inst.redis.Wait()
	}
	if inst.dns != nil {
		inst.dns.Shutdown()
	}
	if os.Getenv("RSPAMDTEST_KEEP") == "" {
		os.RemoveAll(inst.Dir)
	}
}

// guardScript runs the program in the background and ends it when its
// standard input reaches EOF: when Stop closes the pipe, or when the test
// process dies, however it dies (a Pdeathsig on rspamd's main process
// would leave its workers running). TERM first, so that rspamd stops its
// workers, then KILL for the whole process group.
// (A background job's standard input is /dev/null in sh: the pipe is
// read as fd 3.)
const guardScript = `exec 3<&0
"$0" "$@" </dev/null 3<&- & c=$!
{ read _ <&3; kill -TERM $c 2>/dev/null; sleep 3; kill -KILL 0; } &
r=$!
wait $c; rc=$?
kill $r 2>/dev/null
exit $rc`

// guarded returns a command running bin under guardScript, in its own
// process group, and the pipe whose closing ends it.
func guarded(bin string, args ...string) (*exec.Cmd, io.Closer) {
	cmd := exec.Command("/bin/sh", append([]string{"-c", guardScript, bin}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		// Without a pipe the child runs unguarded; Stop still kills it.
		return cmd, io.NopCloser(nil)
	}
	cmd.Stdin = pr
	return cmd, pipeCloser{pr, pw}
}

// pipeCloser closes both ends: the read end is the child's (inherited at
// Start), the write end ours.
type pipeCloser struct{ r, w *os.File }

func (p pipeCloser) Close() error {
	p.r.Close()
	return p.w.Close()
}

func ping(base string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/ping", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// startDNS serves NXDOMAIN for every name over UDP.
func (inst *Instance) startDNS() (string, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	started := make(chan struct{})
	inst.dns = &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeNameError)
			w.WriteMsg(m)
		})}
	go inst.dns.ActivateAndServe()
	<-started
	return pc.LocalAddr().String(), nil
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// redisCommand sends one inline command to the instance's redis and
// returns the raw reply (RESP).
func (inst *Instance) redisCommand(cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", inst.redisAddr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\nQUIT\r\n")); err != nil {
		return "", err
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return strings.TrimSuffix(b.String(), "+OK\r\n"), nil
}

// Learns returns how many messages rspamd's Bayes classifier has learned
// as spam and as ham (the counters the controller's /stat shows once it
// refreshes them, about once a minute).
func (inst *Instance) Learns() (spam, ham int64, err error) {
	for _, f := range []struct {
		field string
		v     *int64
	}{{"learns_spam", &spam}, {"learns_ham", &ham}} {
		r, err := inst.redisCommand("HGET RS " + f.field)
		if err != nil {
			return 0, 0, fmt.Errorf("rspamdtest: redis: %w", err)
		}
		// "$-1" (nil) or "$n\r\nvalue\r\n"
		if parts := strings.Split(r, "\r\n"); len(parts) >= 2 && !strings.HasPrefix(parts[0], "$-") {
			fmt.Sscan(parts[1], f.v)
		}
	}
	return spam, ham, nil
}
