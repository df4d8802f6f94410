# 504: discard mail from a blocked domain, keep the rest flagged
require ["imap4flags"];
if address :domain :is "from" ["spam.example", "junk.example"] { discard; stop; }
setflag "\\Seen";
