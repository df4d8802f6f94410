# 501: Thunderbird-style multi-rule script
require ["fileinto", "reject", "envelope", "imap4flags"];
# rule 1
if header :contains "subject" ["[dev]", "[ops]"] { fileinto "Work.Dev"; stop; }
# rule 2
if address :is "from" ["boss@example.com", "alice@example.net"] { addflag "\\Flagged"; fileinto "Important"; }
# rule 3
if size :over 10M { reject "Too large."; stop; }
# rule 4
if not exists "x-priority" { addflag "normal"; }
