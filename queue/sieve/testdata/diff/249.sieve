# 249: hasflag false
require ["fileinto", "imap4flags"];
if hasflag "\\Seen" { fileinto "Seen"; } else { fileinto "Unseen"; }
