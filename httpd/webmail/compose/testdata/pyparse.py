# Parses a message from stdin with Python's email package (policy.default,
# the RFC 5322/6532 parser) and prints what it sees as JSON, for
# python_test.go: a parser nobody here wrote.
import email, email.policy, hashlib, json, sys

msg = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
out = {
    "subject": str(msg["subject"] or ""),
    "from": [a.addr_spec for a in msg["from"].addresses] if msg["from"] else [],
    "from_name": [a.display_name for a in msg["from"].addresses] if msg["from"] else [],
    "to": [a.addr_spec for a in msg["to"].addresses] if msg["to"] else [],
    "cc": [a.addr_spec for a in msg["cc"].addresses] if msg["cc"] else [],
    "has_bcc": "bcc" in msg,
    "message_id": str(msg["message-id"] or ""),
    "in_reply_to": str(msg["in-reply-to"] or ""),
    "references": str(msg["references"] or ""),
    "date": str(msg["date"] or ""),
    "defects": [type(d).__name__ for d in msg.defects],
    "text": "",
    "attachments": [],
}
body = msg.get_body(preferencelist=("plain",))
if body is not None:
    out["text"] = body.get_content()
for part in msg.iter_attachments():
    a = {"filename": part.get_filename(), "type": part.get_content_type(),
         "defects": [type(d).__name__ for d in part.defects]}
    if part.get_content_type() == "message/rfc822":
        inner = part.get_content()
        a["inner_subject"] = str(inner["subject"])
        a["sha256"] = hashlib.sha256(inner.as_bytes()).hexdigest()
    else:
        a["sha256"] = hashlib.sha256(part.get_content() if isinstance(part.get_content(), bytes) else part.get_payload(decode=True)).hexdigest()
    out["attachments"].append(a)
json.dump(out, sys.stdout)
