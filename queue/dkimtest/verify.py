# Verifies every DKIM-Signature of a message with dkimpy; DNS answers come
# from a JSON file (name -> TXT text). Prints a JSON list of results.
import json
import sys

import dkim

msg = open(sys.argv[1], "rb").read()
records = json.load(open(sys.argv[2]))


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return records.get(name.rstrip(".").lower(), "").encode()


d = dkim.DKIM(msg)
out = []
sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
for i, raw in enumerate(sigs):
    tags = dict(
        (t.split("=", 1)[0].strip(), t.split("=", 1)[1].strip())
        for t in raw.decode().replace("\r\n", "").split(";")
        if "=" in t
    )
    res = {"d": tags.get("d", ""), "s": tags.get("s", ""), "a": tags.get("a", ""), "ok": False, "error": ""}
    try:
        res["ok"] = bool(dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc))
    except Exception as e:  # a verification error is a failed result
        res["error"] = repr(e)
    out.append(res)
print(json.dumps(out))
