"""Drives the ManageSieve server with python3-sievelib (Debian), a client
library nobody here wrote: python3 sievelib_client.py HOST PORT USER PASSWORD.
Prints "ok" and exits 0 when every step behaved; else exits 1 naming the step."""
import sys

from sievelib.managesieve import Client

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
GOOD = 'require ["fileinto"];\r\nif header :contains "List-Id" "golang" {\r\n  fileinto "Lists";\r\n}\r\n'
BAD = 'require "fileinto";\r\nfileinto "x"\r\n'


def check(cond, what):
    if not cond:
        sys.exit("sievelib step failed: " + what)


# LOGIN sends its two responses without waiting for the challenges.
c = Client(host, port)
check(c.connect(user, password, starttls=True, authmech="LOGIN"), "STARTTLS and AUTHENTICATE LOGIN")
check(c.logout() is None or True, "LOGOUT")

c = Client(host, port)
check(c.connect(user, password, starttls=True), "STARTTLS and AUTHENTICATE PLAIN")
check("fileinto" in c.get_sieve_capabilities(), "SIEVE capability lists fileinto")
check(c.havespace("py", len(GOOD)), "HAVESPACE")
check(c.putscript("py", GOOD), "PUTSCRIPT")
check(c.setactive("py"), "SETACTIVE")
active, others = c.listscripts()
check(active == "py", "LISTSCRIPTS shows py ACTIVE (got %r %r)" % (active, others))
check(c.getscript("py") == "\n".join(GOOD.splitlines()), "GETSCRIPT returns the script")
check(c.checkscript(GOOD), "CHECKSCRIPT of a good script")
check(not c.checkscript(BAD), "CHECKSCRIPT of a bad script fails")
check(b"line 3" in c.errmsg, "CHECKSCRIPT error names the line (got %r)" % c.errmsg)
check(not c.putscript("bad", BAD), "PUTSCRIPT of a bad script fails")
check(not c.deletescript("py"), "DELETESCRIPT of the active script fails")
check(c.errcode == b"ACTIVE", "DELETESCRIPT error code ACTIVE (got %r)" % c.errcode)
check(c.renamescript("py", "renamed"), "RENAMESCRIPT")
active, others = c.listscripts()
check(active == "renamed" and "bad" not in others, "LISTSCRIPTS after RENAMESCRIPT (got %r %r)" % (active, others))
check(c.setactive(""), "SETACTIVE \"\" deactivates")
check(c.deletescript("renamed"), "DELETESCRIPT")
check(c.listscripts() == (None, []), "LISTSCRIPTS empty at the end")
c.logout()
print("ok")
