# 461: keep then fileinto INBOX with flags
require ["fileinto", "imap4flags"];
keep;
fileinto :flags "Z" "INBOX";
