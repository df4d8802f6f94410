#!/usr/bin/env python3
# genmaildir.py ROOT N: a Maildir++ tree of N messages (2-18 KiB, 10 KiB on
# average) in 20 folders, Dovecot-style names with flags, for the import
# figures in README ("Moving from another server"). Delete ROOT afterwards.
import os, random, sys
root = sys.argv[1]; n = int(sys.argv[2]); folders = 20
random.seed(1)
names = ['INBOX'] + ['.Sent', '.Drafts', '.Trash', '.Junk', '.Archive'] + ['.Archive.%d' % y for y in range(2010, 2024)]
dirs = []
for nm in names[:folders]:
    d = root if nm == 'INBOX' else os.path.join(root, nm)
    for s in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(d, s), exist_ok=True)
    dirs.append(d)
line = ('The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuv\n')
t0 = 1500000000
for i in range(n):
    d = dirs[i % folders]
    size = random.randint(2048, 18432)
    hdr = 'From: sender%d@example.test\nTo: user@example.test\nSubject: message %d\nMessage-ID: <%d@bench>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n' % (i % 97, i, i)
    body = hdr + line * ((size - len(hdr)) // len(line))
    flags = random.choice(['S', 'RS', 'FS', '', 'S'])
    fn = '%d.M%dP1.bench,S=%d:2,%s' % (t0 + i, i, len(body), flags)
    with open(os.path.join(d, 'cur', fn), 'w') as f:
        f.write(body)
